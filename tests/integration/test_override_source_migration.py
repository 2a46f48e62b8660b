"""Migration 0011 records who set each existing override, from the only sign there was: the plan's
reasons start "pre-SOAP plan:" (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from storage.database import Database
from storage.migrate import upgrade
from tests.integration.test_code_migration import _downgrade, _insert

NOW = datetime(2027, 3, 18, 12, 0, tzinfo=UTC)


def test_existing_overrides_are_sorted_into_the_plans_and_the_directors(database: Database) -> None:
    _downgrade(database, "0010")
    stamp = NOW.replace(tzinfo=None) if database.backend == "sqlite" else NOW
    with database.engine.begin() as c:
        program = _insert(c, "programs", name="IM", team_id="T1", channel_id="G1", timezone="America/New_York",
                          created_by="U1", created_at=stamp, policy={}, reminder_leads=[60])
        for aamc, bucket, reason in (("40000001", "internal", "pre-SOAP plan: thrilled"),
                                     ("40000002", "backup", "we read the letters again"),
                                     ("40000003", "backup", "Pre-SOAP plan: our own words, another case"),
                                     ("40000004", None, None)):
            _insert(c, "candidates", program_id=program, aamc_id=aamc, first_name="Sam", last_name="Sample",
                    exam_failures=0, states=[], tracks=[], profile={}, profile_hash="", home_student=False,
                    rotated_here=False, interviewed=False, prior_contact=False, prelim_here=False,
                    strong_letters=False, triage_reasons=[], card_stale=False, imported_at=stamp, updated_at=stamp,
                    override_bucket=bucket, override_reason=reason)
    upgrade(database)
    with database.engine.connect() as c:
        sources = {row[0]: row[1] for row in c.execute(sa.text("SELECT aamc_id, override_source FROM candidates"))}
    assert sources == {"40000001": "plan", "40000002": "director", "40000003": "director", "40000004": None}
