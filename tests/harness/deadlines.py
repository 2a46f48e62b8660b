"""Round 1's deadline a few seconds away, and the alarms the bot posted when it passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

from storage.database import Database
from storage.models import Program, Round
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

ALARM = "deadline has passed"


def round_one_deadline_in(database: Database, channel: str, seconds: int) -> int:
    """Put round 1's deadline `seconds` ahead (as a director's schedule change would; the clock re-plans
    from the database at every tick); the program's id."""
    now = datetime.now(UTC)
    with database.transaction() as session:
        program_id = session.scalar(select(Program.id).where(Program.channel_id == channel))
        assert program_id is not None
        session.execute(update(Round).where(Round.program_id == program_id, Round.number == 1).values(
            deadline_at=now + timedelta(seconds=seconds), offers_at=now + timedelta(minutes=5),
            expires_at=now + timedelta(hours=2)))
    return int(program_id)


def _next_tick(database: Database) -> float:
    with database.reading() as session:
        value = session.execute(text("SELECT next_run_time FROM apscheduler_jobs WHERE id = 'reminders.tick'"))
        return float(value.scalar_one())


def wait_for_ticks(database: Database, ticks: int, *, tick_seconds: float = 1.0, timeout: float = 60.0) -> None:
    """Until the clocks' reminder job has run `ticks` more times: its next run, in the job store the
    clocks share, has moved on that many ticks (a second alarm would have been posted by then)."""
    start = _next_tick(database)
    eventually(lambda: _next_tick(database) >= start + ticks * tick_seconds, timeout=timeout)


def alarms(standin: SlackStandIn) -> list[str]:
    return [c.params["text"] for c in standin.calls_to("chat.postMessage") if c.ok and ALARM in c.params["text"]]
