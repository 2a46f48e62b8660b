"""`soapbot export` and `soapbot purge` as an operator runs them, on both databases."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from storage.database import Database
from storage.models import Candidate
from tests.integration.test_records import AAMC, _seed


@pytest.fixture
def operator_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return Database(database_url)


def test_export_then_purge_from_the_command_line(operator_env: Database, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, other_id = _seed(operator_env)
    archive = tmp_path / "im.zip"
    assert main(["export", "--program", "IM Test", "--out", str(archive)]) == 0
    assert AAMC in zipfile.ZipFile(archive).read("applicants.csv").decode("utf-8-sig")

    # Without the bot's token the database is purged but the bot's posts are still in Slack: not done (1),
    # and the operator is told how to finish (tests/adversarial/test_purge.py runs it with the token).
    assert main(["purge", "--program", "G1", "--yes"]) == 1
    out = capsys.readouterr().out
    assert "purged 1 applicant, 1 note, 1 vote" in out and "SLACK_BOT_TOKEN is not set" in out
    with operator_env.reading() as session:
        assert session.scalars(select(Candidate.program_id)).all() == [other_id]


def test_an_unknown_program_is_named_and_nothing_changes(operator_env: Database,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _seed(operator_env)
    assert main(["purge", "--program", "Cardiology", "--yes"]) == 1
    assert "No program 'Cardiology'. Programs: IM Test, Surgery Test." in capsys.readouterr().err
    with operator_env.reading() as session:
        assert len(session.scalars(select(Candidate)).all()) == 2


def test_the_program_is_found_by_its_name_typed_with_a_hyphen_for_its_en_dash(
        operator_env: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import update

    from storage.models import Program
    _seed(operator_env)
    with operator_env.transaction() as session:
        session.execute(update(Program).where(Program.name == "IM Test").values(name="IM – Riverside Test"))
    archive = tmp_path / "im.zip"
    assert main(["export", "--program", "im - riverside  test", "--out", str(archive)]) == 0
    assert AAMC in zipfile.ZipFile(archive).read("applicants.csv").decode("utf-8-sig")


def test_with_no_program_yet_the_cli_says_how_one_is_set_up(operator_env: Database,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--program", "IM Test"]) == 1
    err = capsys.readouterr().err
    assert "none is set up yet" in err and "/soap setup" in err
