"""The clock: APScheduler 3 with its SQLAlchemy job store in the project's database.

`soapbot clock` runs it as its own process (Procfile `clock:`); Socket Mode runs it in
process. Web processes never run jobs. Jobs are thin functions that call a service;
features add theirs to `JOBS`.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bot.war_room import WarRoom

log = logging.getLogger(__name__)

# (job id, seconds between runs, function(room)). Features append their periodic jobs here.
JOBS: list[tuple[str, int, Callable[[WarRoom], None]]] = []


def make_scheduler(room: WarRoom) -> BackgroundScheduler:
    store = SQLAlchemyJobStore(engine=room.database.engine)
    scheduler = BackgroundScheduler(jobstores={"default": store}, timezone="UTC",
                                    job_defaults={"coalesce": True, "max_instances": 1,
                                                  "misfire_grace_time": 300})
    for job_id, seconds, job in JOBS:
        scheduler.add_job(job, "interval", seconds=seconds, args=[room], id=job_id,
                          replace_existing=True, jobstore="default")
    return scheduler


def start_in_process(room: WarRoom) -> BackgroundScheduler:
    scheduler = make_scheduler(room)
    scheduler.start()
    log.info("clock started with %d jobs", len(JOBS))
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
