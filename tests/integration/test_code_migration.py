"""Migration 0004 carries programs, positions, locks and offers over to program codes (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from storage.database import Database
from storage.migrate import alembic_config, upgrade

NOW = datetime(2027, 3, 18, 12, 0, tzinfo=UTC)


def _downgrade(database: Database, revision: str) -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _insert(connection: sa.Connection, table: str, **values: object) -> int:
    meta = sa.MetaData()
    t = sa.Table(table, meta, autoload_with=connection)
    result = connection.execute(t.insert().values(**values))
    return int(result.inserted_primary_key[0]) if result.inserted_primary_key else 0


def test_single_track_program_gets_its_code_and_a_program_without_codes_keeps_its_names(database: Database) -> None:
    _downgrade(database, "0003")
    stamp = NOW.replace(tzinfo=None) if database.backend == "sqlite" else NOW
    with database.engine.begin() as c:
        coded = _insert(c, "programs", name="IM", team_id="T1", channel_id="G1", timezone="America/New_York",
                        created_by="U1", created_at=stamp, policy={}, reminder_leads=[60])
        plain = _insert(c, "programs", name="FM", team_id="T1", channel_id="G2", timezone="America/New_York",
                        created_by="U1", created_at=stamp, policy={}, reminder_leads=[60])
        people = []
        for program, aamc, tracks in ((coded, "40000001", ["Internal Medicine|1234140C0 (Categorical)"]),
                                      (plain, "40000002", ["Categorical"])):
            people.append(_insert(c, "candidates", program_id=program, aamc_id=aamc, first_name="Sam",
                                  last_name="Sample", exam_failures=0, states=[], tracks=tracks, profile={},
                                  profile_hash="", home_student=False, rotated_here=False, interviewed=False,
                                  prior_contact=False, prelim_here=False, strong_letters=False, triage_reasons=[],
                                  card_stale=False, imported_at=stamp, updated_at=stamp))
        for program, person in ((coded, people[0]), (plain, people[1])):
            _insert(c, "positions", program_id=program, track="categorical", total=2)
            _insert(c, "offers", program_id=program, candidate_id=person, round=1, track="categorical",
                    status="accepted", recorded_by="U1", recorded_at=stamp)
            _insert(c, "list_snapshots", program_id=program, round=1, locked_by="U1", locked_at=stamp)
    upgrade(database)
    with database.engine.connect() as c:
        positions = set(c.execute(sa.text("SELECT program_id, track, label, total FROM positions")))
        offers = set(c.execute(sa.text("SELECT program_id, track FROM offers")))
        locks = set(c.execute(sa.text("SELECT program_id, code FROM list_snapshots")))
    assert positions == {(coded, "1234140C0", "categorical", 2), (plain, "categorical", "", 2)}
    assert offers == {(coded, "1234140C0"), (plain, "categorical")}
    assert locks == {(coded, "1234140C0"), (plain, None)}
