"""The console's local workspace: the production app served on loopback, the local Web API it
posts to, a signed-request client, and the console clock.

`bot.console.session` types into it; `bot.console.demo` seeds it. Nothing here reaches Slack.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from socketserver import ThreadingMixIn
from typing import Any, ParamSpec, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from zoneinfo import ZoneInfo

from bot.bootstrap import build_war_room
from bot.console import payloads
from bot.console.signing import SlackClientSim
from bot.console.web_api import LocalWebApi
from bot.services import records
from bot.settings import Settings, load_settings
from bot.war_room import WarRoom

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

CONSOLE_BOT_TOKEN = "xoxb-local-console-not-a-real-token"  # noqa: S105 (the stand-in's token, not a secret)
SETTLE_TIMEOUT = 30.0


# --- the clock ----------------------------------------------------------------------------------


class ConsoleClock:
    """The app's clock in the console: real time (running) or standing still, plus `wait` offsets."""

    def __init__(self, start: datetime | None = None, *, running: bool = True) -> None:
        self._lock = threading.Lock()
        self._start = (start or datetime.now(UTC)).astimezone(UTC)
        self._started = time.monotonic()
        self._offset = timedelta()
        self.running = running

    def __call__(self) -> datetime:
        with self._lock:
            elapsed = timedelta(seconds=time.monotonic() - self._started) if self.running else timedelta()
            return self._start + elapsed + self._offset

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._offset += delta
        return self()


DURATION = re.compile(r"^\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?)?\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(text)
    if not match:
        raise ValueError("say how long, e.g. `wait 5m`, `wait 1h` or `wait 30s`")
    amount = int(match.group(1))
    unit = (match.group(2) or "m").lower()
    if unit.startswith("s"):
        delta = timedelta(seconds=amount)
    elif unit.startswith("h"):
        delta = timedelta(hours=amount)
    else:
        delta = timedelta(minutes=amount)
    if delta > timedelta(days=30):
        raise ValueError("wait at most 30 days at a time")
    return delta


# --- knowing when the app is done -----------------------------------------------------------------


class TrackedExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, counting work in flight, so the console renders once the app is done."""

    def __init__(self, max_workers: int = 8) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="console-listener")
        self._cond = threading.Condition()
        self._pending = 0

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._cond:
            self._pending += 1

        def run() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

        return super().submit(run)

    def wait_idle(self, timeout: float = SETTLE_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True


# --- the local workspace: app + stand-in + signed client -----------------------------------------


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class LoopbackServer:
    """A WSGI application served on a free 127.0.0.1 port, a thread per request, until `stop()`.

    The serving loop looks for `stop()` every 50 ms: the standard library's half second would be
    waited out by every session end and every test that serves the app.
    """

    POLL_INTERVAL = 0.05

    def __init__(self, application: Any, *, name: str = "loopback-wsgi") -> None:
        self._server = make_server("127.0.0.1", 0, application, server_class=_ThreadingServer,
                                   handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": self.POLL_INTERVAL},
                                        name=name, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@dataclass(frozen=True)
class Member:
    user_id: str
    handle: str
    real_name: str
    title: str = ""

    @property
    def label(self) -> str:
        return f"{self.real_name} ({self.title})" if self.title else self.real_name


class LocalWorkspace:
    """The production app served on loopback, Slack's Web API stand-in, and a signed-request client."""

    def __init__(self, settings: Settings, clock: ConsoleClock) -> None:
        self.standin = LocalWebApi().start()
        self.signing_secret = secrets.token_hex(16)
        self.settings = load_settings(env_file=None, **{
            **settings.model_dump(),
            "slack_bot_token": CONSOLE_BOT_TOKEN, "slack_signing_secret": self.signing_secret,
            "slack_app_token": None, "slack_api_url": self.standin.url,
        })
        self.clock = clock
        self.executor = TrackedExecutor()
        # One tracked pool for Bolt's listeners and the work they defer (room.work): idle means done.
        self.room: WarRoom = build_war_room(self.settings, clock=clock, work=self.executor)
        self.standin.continue_after(records.latest_message_ts(self.room.database))
        from bot.app import create_app
        from bot.web import wsgi_app

        self.app = create_app(self.room, listener_executor=self.executor)
        self._server = LoopbackServer(wsgi_app(self.app, self.room), name="console-app")
        self.url = self._server.url
        self.team_id = payloads.TEAM_ID
        self.sim = SlackClientSim(self.url, self.signing_secret, standin=self.standin)
        self._scheduler: Any = None

    def use_team(self, team_id: str) -> None:
        """Send requests as coming from `team_id` (the workspace of an existing program)."""
        self.team_id = team_id
        self.sim = SlackClientSim(self.url, self.signing_secret, team_id, standin=self.standin)

    def settle(self) -> None:
        """Wait until the app has finished what the last request started."""
        if not self.executor.wait_idle():
            log.warning("the app was still busy after %ss", SETTLE_TIMEOUT)
        # Belt and braces: no new Web API call for a moment.
        seen = len(self.standin.calls)
        while True:
            time.sleep(0.02)
            now = len(self.standin.calls)
            if now == seen and self.executor.wait_idle(0):
                return
            seen = now
            self.executor.wait_idle()

    def run_clock_jobs(self) -> None:
        """Run every periodic clock job once, now (what `soapbot clock` does on its interval)."""
        from bot import clock as clock_module

        for job_id, _seconds, job in list(clock_module.JOBS):
            try:
                job(self.room)
            except Exception as error:
                log.error("clock job %s failed: %s", job_id, type(error).__name__, exc_info=error)

    def start_clock(self) -> None:
        from bot.clock import start_in_process

        self._scheduler = start_in_process(self.room)

    def close(self) -> None:
        if self._scheduler is not None:
            try:
                self._scheduler.shutdown(wait=False)
            except Exception as error:  # shutting down: nothing left to tell anyone
                log.debug("scheduler shutdown: %s", type(error).__name__)
        self._server.stop()
        self.executor.shutdown(wait=True)
        self.standin.stop()



# --- what a session opens on ----------------------------------------------------------------------


@dataclass
class ChannelInfo:
    channel_id: str
    name: str



@dataclass
class SessionPlan:
    """What the console needs to open: the channel, the committee, who types first, the clock start."""

    channel: ChannelInfo
    members: list[Member]
    first: Member
    timezone: ZoneInfo
    notes: list[str] = field(default_factory=list)


