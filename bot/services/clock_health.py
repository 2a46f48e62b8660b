"""The clock, seen from outside it: each tick's record, what the committee is told, the silence alarm.

- `record_tick(database, clock_id, now)`: every reminder tick of a clock process (`soapbot clock`, or the
  clock inside `soapbot socket`) stores when it ran, one row per process (`clock_ticks`).
- `sight(session, program_id, now)`: what `/soap schedule` and the App Home need to say whether
  reminders are being sent (`bot.domain.clock_health`).
- `watch(room, watcher_id)`: run by every web and Socket Mode process (`bot.clock_watch`). A war room
  whose clock has been silent for 5 minutes with a deadline ahead gets one alarm per silence. Which
  process posts it is decided in the database, never in a process's memory: the first to insert the
  silence's row (`clock_silence_alarms`, keyed by program and when the silence began) posts; a claim
  whose process died before posting runs out after `CLAIM_SECONDS` and another takes it over.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.clock_health import ClockSight, silence_to_alarm
from bot.messages.clock_health import silence_alarm_text
from bot.war_room import WarRoom
from storage.database import Database
from storage.models import ClockSilenceAlarm, ClockTick, Program, Round

log = logging.getLogger(__name__)

FORGET_TICKS_AFTER = timedelta(days=1)  # rows of clock processes that stopped long ago
CLAIM_SECONDS = 120
POST_FOR_SECONDS = 60  # retries stop well inside the claim, so no other process takes it over meanwhile


def record_tick(database: Database, clock_id: str, now: datetime) -> None:
    """This clock process ran a tick at `now` (and forgets processes that stopped ticking a day ago)."""
    with database.transaction() as session:
        changed = session.execute(update(ClockTick).where(ClockTick.clock_id == clock_id)
                                  .values(ticked_at=now)).rowcount  # type: ignore[attr-defined]
        if not changed:
            session.add(ClockTick(clock_id=clock_id, started_at=now, ticked_at=now))
        session.execute(delete(ClockTick).where(ClockTick.ticked_at < now - FORGET_TICKS_AFTER))


def last_tick(session: Session) -> datetime | None:
    return session.scalar(select(func.max(ClockTick.ticked_at)))


def clocks(database: Database) -> list[ClockTick]:
    """Every clock process seen in the last day, the latest tick first (for `soapbot status`)."""
    with database.reading() as session:
        return list(session.scalars(select(ClockTick).order_by(ClockTick.ticked_at.desc())))


def _next_due(session: Session, program_id: int, now: datetime) -> datetime | None:
    times = session.execute(select(Round.deadline_at, Round.offers_at, Round.expires_at)
                            .where(Round.program_id == program_id)).all()
    ahead = [t for row in times for t in row if t > now]
    return min(ahead) if ahead else None


def sight(session: Session, program_id: int, now: datetime) -> ClockSight:
    return ClockSight(last_tick=last_tick(session), now=now, next_due=_next_due(session, program_id, now))


def _claim(database: Database, program_id: int, began: datetime, watcher_id: str, now: datetime) -> bool:
    try:
        with database.transaction() as session:
            row = session.get(ClockSilenceAlarm, (program_id, began))
            if row is None:
                session.add(ClockSilenceAlarm(program_id=program_id, silent_since=began, claimed_by=watcher_id,
                                              claimed_at=now))
                session.flush()
                return True
            if row.posted_at is not None or row.claimed_at > now - timedelta(seconds=CLAIM_SECONDS):
                return False
            taken = session.execute(update(ClockSilenceAlarm).where(
                ClockSilenceAlarm.program_id == program_id, ClockSilenceAlarm.silent_since == began,
                ClockSilenceAlarm.posted_at.is_(None), ClockSilenceAlarm.claimed_at == row.claimed_at,
            ).values(claimed_by=watcher_id, claimed_at=now)).rowcount  # type: ignore[attr-defined]
            return bool(taken)
    except IntegrityError:  # another process inserted the same silence first: it posts
        return False


def watch(room: WarRoom, watcher_id: str) -> int:
    """Post the silence alarm in each war room that needs it now; how many were posted."""
    now = room.clock()
    with room.database.reading() as session:
        tick = last_tick(session)
        programs = session.execute(select(Program.id, Program.channel_id, Program.timezone, Program.created_at)
                                   .where(Program.purged_at.is_(None))).all()
        due = []
        for program_id, channel, timezone, set_up_at in programs:
            seen = ClockSight(last_tick=tick, now=now, next_due=_next_due(session, program_id, now))
            began = silence_to_alarm(seen, set_up_at)
            if began is not None:
                due.append((program_id, channel, timezone, began, seen))
    posted = 0
    for program_id, channel, timezone, began, seen in due:
        if not _claim(room.database, program_id, began, watcher_id, now):
            continue
        try:
            ts = room.gateway.post(channel, silence_alarm_text(seen, timezone),
                                   give_up_at=now + timedelta(seconds=POST_FOR_SECONDS))
        except Exception as error:  # the claim is given back: the next look (any process) tries again
            log.error("clock silence alarm for program %s not posted: %s", program_id, type(error).__name__)
            with room.database.transaction() as session:
                session.execute(delete(ClockSilenceAlarm).where(
                    ClockSilenceAlarm.program_id == program_id, ClockSilenceAlarm.silent_since == began,
                    ClockSilenceAlarm.claimed_by == watcher_id))
            continue
        with room.database.transaction() as session:
            session.execute(update(ClockSilenceAlarm).where(
                ClockSilenceAlarm.program_id == program_id, ClockSilenceAlarm.silent_since == began,
            ).values(posted_at=now, ts=ts))
        log.warning("clock silent since %s: alarm posted for program %s", began.isoformat(), program_id)
        posted += 1
    return posted
