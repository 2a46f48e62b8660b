"""The clock: APScheduler 3 with its SQLAlchemy job store in the project's database.

`soapbot clock` runs it as its own process (Procfile `clock:`); Socket Mode runs it in
process. Web processes never run jobs. Jobs are thin functions that call a service, all
declared in `JOBS` below (a feature's job is listed there, not added by importing the feature).

The reminder job (`reminders.tick`, every `REMINDER_TICK_SECONDS`) re-plans every program's
reminders from the database and sends what is due (`bot.services.reminders.tick`). Schedule
changes made through Slack are written to the database by the web process, so a running
clock sends by the new times from its next tick on (within 20 s); nothing has to be told to
the clock. Exactly-once delivery does not depend on APScheduler: a misfired, coalesced or
doubled run, or a second clock, finds the reminder already claimed or sent.

The SQLAlchemy job store pickles each job with its arguments, and a `WarRoom` (engine, HTTP
client, locks) cannot be pickled: the stored job is `run_job(job_id)` with a plain
string, and `run_job` uses the room of this process (one clock per process). Every clock
process sharing the store may run a stored job (each loads it from the table); that is
harmless because each run claims reminders before posting.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random

from bot.domain.cards import REDRAW_EVERY_SECONDS
from bot.services import clock_health, reminders
from bot.services.candidate_cards import redraw_stale_cards
from bot.services.notes import forget_old_events, retry_unposted_notes
from bot.services.plan_war_room import post_plan_notes
from bot.war_room import WarRoom

log = logging.getLogger(__name__)

REMINDER_TICK_SECONDS = 20
CLOCK_ID = reminders.new_clock_id()


def _reminder_job(room: WarRoom) -> None:
    reminders.tick(room, CLOCK_ID)
    # After the tick, so a clock whose ticks fail is seen as silent (bot.services.clock_health).
    clock_health.record_tick(room.database, CLOCK_ID, room.clock())


def _reconcile_posts(room: WarRoom) -> None:
    room.gateway.reconcile()


# (job id, seconds between runs, function(room)): reminders; reference notes whose post failed or
# was interrupted; handled event ids to forget; the candidate cards a re-import changed; the
# pre-SOAP plan's notes an import from the command line stored; posts whose answer was lost (a
# process killed after Slack took them), recorded from Slack so the purge deletes them.
JOBS: tuple[tuple[str, int, Callable[[WarRoom], object]], ...] = (
    ("reminders.tick", REMINDER_TICK_SECONDS, _reminder_job),
    ("notes.retry_unposted", 60, retry_unposted_notes),
    ("events.forget_old", 3600, forget_old_events),
    ("cards.redraw", REDRAW_EVERY_SECONDS, redraw_stale_cards),
    ("plan.notes", 60, post_plan_notes),
    ("posts.reconcile", 60, _reconcile_posts),
)

_room: WarRoom | None = None
_room_lock = threading.Lock()


def run_job(job_id: str) -> None:
    """What the job store holds: this process's room and the job's function, found by id."""
    with _room_lock:
        room = _room
    job = next((fn for jid, _, fn in JOBS if jid == job_id), None)
    if room is None or job is None:
        log.warning("clock job %s has no room or function in this process; skipped", job_id)
        return
    try:
        job(room)
    except Exception as error:  # a failing run is logged; the next run tries again
        log.error("clock job %s failed: %s", job_id, type(error).__name__, exc_info=error)


def make_scheduler(room: WarRoom) -> BackgroundScheduler:
    global _room
    with _room_lock:
        _room = room
    store = SQLAlchemyJobStore(engine=room.database.engine)
    scheduler = BackgroundScheduler(jobstores={"default": store}, timezone="UTC",
                                    job_defaults={"coalesce": True, "max_instances": 1,
                                                  "misfire_grace_time": 300})
    # Ticks fall on whole minutes (and every `seconds` after): reminders are due on whole minutes, so
    # a 20 s tick posts them at their minute, not up to 20 s after it, whenever the clock started.
    minute = datetime.now(UTC).replace(second=0, microsecond=0)  # the scheduler's own time, never a fake
    for job_id, seconds, _job in JOBS:
        if job_id == "reminders.tick":
            seconds = room.settings.clock_tick_seconds
        scheduler.add_job(run_job, "interval", seconds=seconds, args=[job_id], id=job_id,
                          replace_existing=True, jobstore="default", start_date=minute)
    return scheduler


# Two clocks started at once on a new database race to create the job store's table and to store
# the same jobs: the loser's statement fails, and a second try finds both in place.
@retry(retry=retry_if_exception_type(SQLAlchemyError), stop=stop_after_attempt(5),
       wait=wait_random(0.2, 1.0), reraise=True)
def start_in_process(room: WarRoom) -> BackgroundScheduler:
    scheduler = make_scheduler(room)
    scheduler.start()
    log.info("clock %s started with %d jobs", CLOCK_ID, len(JOBS))
    return scheduler


def run_clock(room: WarRoom, stop: threading.Event | None = None) -> None:
    """`soapbot clock`: run the scheduler until SIGTERM/SIGINT."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler = start_in_process(room)
    stop.wait()
    scheduler.shutdown(wait=True)
