"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set).

Every storage and end-to-end test takes `database`, which is parametrised over the
backends: on CI both run. PostgreSQL tests use a database of their own, created for
this pytest run and dropped after it, so parallel runs never share rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.cli import configure_process
from storage.database import Database, dispose_engines
from storage.migrate import upgrade
from storage.models import Base

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    """The test process runs the app in process, as a `soapbot` process does: same process settings."""
    configure_process()


def pytest_report_header(config: pytest.Config) -> list[str]:
    if PG_URL:
        return [f"databases: SQLite and PostgreSQL ({make_url(PG_URL).render_as_string(hide_password=True)})"]
    return ["databases: SQLite only; set TEST_DATABASE_URL to run every storage test on PostgreSQL too"]


def _psycopg(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(Database(f"sqlite:///{path}"))
    dispose_engines()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    assert PG_URL, "TEST_DATABASE_URL is not set"
    admin = create_engine(_psycopg(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"soap_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # a configured PostgreSQL that does not answer fails the run
        pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL is unusable: {error}", returncode=1)
    url = make_url(_psycopg(PG_URL)).set(database=name).render_as_string(hide_password=False)
    upgrade(Database(url))
    yield url
    dispose_engines()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "soap.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    _truncate_all(Database(url))
    yield url


@pytest.fixture
def database(database_url: str) -> Database:
    return Database(database_url)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say, in the CI log, how many tests ran on each database."""
    passed = terminalreporter.stats.get("passed", [])
    on = {backend: sum(1 for report in passed if f"[{backend}" in report.nodeid or f"-{backend}" in report.nodeid)
          for backend in ("sqlite", "postgresql")}
    terminalreporter.write_line(f"database-backed tests passed: SQLite {on['sqlite']}, PostgreSQL {on['postgresql']}"
                                + ("" if PG_URL else " (PostgreSQL not configured: set TEST_DATABASE_URL)"))
