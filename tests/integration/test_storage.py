"""Storage on both backends: migrations match the models, UTC round-trips, the unit of work rolls back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from storage.database import Database
from storage.migrate import current_revision, head_revision
from storage.models import AuditEvent, Base, Program


def test_migrations_create_exactly_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, Base.metadata) if "apscheduler_jobs" not in str(d)]
    assert diff == []
    assert current_revision(database) == head_revision(database)


def test_times_come_back_as_the_same_utc_instant(database: Database) -> None:
    eastern_noon = datetime(2027, 3, 18, 12, 0, tzinfo=timezone(timedelta(hours=-4)))
    with database.transaction() as session:
        program = Program(name="Test IM", team_id="T1", channel_id="G1", timezone="America/New_York",
                          created_by="U1", created_at=eastern_noon)
        session.add(program)
    with database.reading() as session:
        stored = session.scalar(select(Program.created_at))
    assert stored == eastern_noon
    assert stored is not None and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored.hour == 16


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), database.transaction() as session:
        session.add(Program(name="X", team_id="T1", channel_id="G2", timezone="UTC", created_by="U1",
                            created_at=datetime(2027, 3, 18, 12, 0)))
        session.flush()


def test_a_failed_unit_of_work_stores_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.add(AuditEvent(program_id=None, actor="U1", action="test", at=datetime.now(UTC)))
        session.flush()
        raise RuntimeError("boom")
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_healthcheck_answers_only_when_the_database_does(database: Database) -> None:
    assert database.ping()
    broken = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    assert not broken.ping()
