"""Triage in storage: policy changes recompute every bucket in one go; overrides stay until cleared."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.access import ProgramRef
from bot.bootstrap import SETUP_HOOKS
from bot.domain.triage import Bucket
from bot.errors import BadInput
from bot.messages.candidate_lists import describe_moves
from bot.services import programs
from bot.services.candidate_import import import_export
from bot.services.overrides import set_override
from bot.services.triage import program_policy, set_policy, summary
from storage.database import Database
from storage.models import AuditEvent, Candidate, Program
from tests.factories import applicant_row, applicant_rows, eras_csv, img_row

TODAY = date(2027, 3, 17)
NOW = datetime(2027, 3, 17, 15, 0, tzinfo=UTC)


def _program(database: Database) -> ProgramRef:
    ref, _ = programs.setup_war_room(database, name="IM Triage", team_id="T0TEST", user_id="U0DIRECTOR",
                                     channel=programs.ChannelFacts("G0TRIAGE01", is_private=True),
                                     seed=SETUP_HOOKS, timezone="America/Chicago", members=frozenset({"U0DIRECTOR"}))
    return ref


def _buckets(database: Database) -> dict[str, tuple[str | None, str | None]]:
    with database.reading() as session:
        return {c.aamc_id: (c.bucket, c.override_bucket) for c in session.scalars(select(Candidate))}


def test_visas_none_to_j1_moves_j1_applicants_out_of_do_not_rank(database: Database) -> None:
    program = _program(database)
    set_policy(database, program=program, actor="U0DIRECTOR", pairs={"visas": "none"}, today=TODAY)
    rows = [img_row(1, "J-1"), img_row(2, "J-1"), img_row(3, "H-1B"), applicant_row(4)]
    import_export(database, program.id, eras_csv(rows), filename="e.csv", actor="U", today=TODAY)
    before = _buckets(database)
    assert [before[r["AAMC ID"]][0] for r in rows[:3]] == ["do not rank"] * 3

    change = set_policy(database, program=program, actor="U0DIRECTOR", pairs={"visas": "J-1"}, today=TODAY)
    assert change.changed_keys == ["visas_sponsored"]
    assert len(change.moves) == 2
    assert describe_moves(change.moves)[0] == "2 moved out of do not rank"
    after = _buckets(database)
    assert after[rows[0]["AAMC ID"]][0] != "do not rank"
    assert after[rows[2]["AAMC ID"]][0] == "do not rank"
    assert program_policy(database, program.id).visas_sponsored == "J-1"
    with database.reading() as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "triage.policy")
                                .order_by(AuditEvent.id.desc())).first()
        assert audit is not None
        assert (audit.before["visas_sponsored"], audit.after["visas_sponsored"], audit.after["moved"]) == (
            "none", "J-1", 2)


def test_a_bad_setting_changes_nothing(database: Database) -> None:
    program = _program(database)
    import_export(database, program.id, eras_csv(applicant_rows(10)), filename="e.csv", actor="U", today=TODAY)
    before = _buckets(database)
    with pytest.raises(BadInput, match="max_failures"):
        set_policy(database, program=program, actor="U0DIRECTOR", pairs={"visas": "none", "max_failures": "lots"},
                   today=TODAY)
    with pytest.raises(BadInput, match="unknown setting"):
        set_policy(database, program=program, actor="U0DIRECTOR", pairs={"colour": "blue"}, today=TODAY)
    assert _buckets(database) == before
    with database.reading() as session:
        program_row = session.get(Program, program.id)
        assert program_row is not None
        assert program_row.policy == {}


def test_override_survives_reimport_and_policy_change_until_cleared(database: Database) -> None:
    program = _program(database)
    rows = [img_row(1, "H-1B"), applicant_row(2)]
    import_export(database, program.id, eras_csv(rows), filename="e.csv", actor="U", today=TODAY)
    target = rows[0]["AAMC ID"]
    result = set_override(database, program=program, actor="U0DIRECTOR", candidate_key=target,
                          bucket_text="interviewed", reason="her H-1B is already approved", now=NOW)
    assert (result.computed, result.before, result.after) == ("do not rank", "do not rank", "interviewed")

    rows[0]["USMLE Step 2 CK Score"] = "250"
    assert import_export(database, program.id, eras_csv(rows), filename="e.csv", actor="U", today=TODAY).updated == 1
    set_policy(database, program=program, actor="U0DIRECTOR", pairs={"visas": "none", "max_years": "3"},
               today=TODAY)
    assert _buckets(database)[target] == ("do not rank", "interviewed")
    counts = summary(database, program.id)
    assert counts.counts[Bucket.INTERVIEWED] == 1
    assert counts.overridden == 1

    with pytest.raises(BadInput, match="Say why"):
        set_override(database, program=program, actor="U0DIRECTOR", candidate_key=target, bucket_text="backup",
                     reason="  ", now=NOW)
    with pytest.raises(BadInput, match="unknown bucket"):
        set_override(database, program=program, actor="U0DIRECTOR", candidate_key=target, bucket_text="maybe",
                     reason="x", now=NOW)
    cleared = set_override(database, program=program, actor="U0DIRECTOR", candidate_key=target, bucket_text=None,
                           reason=None, now=NOW)
    assert cleared.after == "do not rank"
    assert _buckets(database)[target] == ("do not rank", None)
    with database.reading() as session:
        actions = [(a.action, a.after["override_bucket"]) for a in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("triage.override%")).order_by(AuditEvent.id))]
    assert actions == [("triage.override", "interviewed"), ("triage.override_clear", None)]


def test_summary_counts_every_bucket_and_pages(database: Database) -> None:
    program = _program(database)
    import_export(database, program.id, eras_csv(applicant_rows(60)), filename="e.csv", actor="U", today=TODAY)
    first = summary(database, program.id, per_bucket=5)
    assert first.total == 60
    assert sum(first.counts.values()) == 60
    assert all(len(previews) <= 5 for previews in first.first.values())
    assert first.has_more
    second = summary(database, program.id, per_bucket=5, page=2)
    strong = Bucket.STRONG_PAPER
    assert {p.aamc_id for p in first.first[strong]}.isdisjoint({p.aamc_id for p in second.first[strong]})
