"""End-to-end fixtures: the real app served on loopback, the Web API stand-in, signed requests.

`war_room` serves the same WSGI application that `soapbot serve` hands gunicorn (bot.web.wsgi_app)
on a free loopback port, with SLACK_API_URL pointing at the stand-in and a fake clock. A test
talks to it only through `slack` (signed HTTP requests as Slack sends them) and reads what the
app did through `standin` (recorded Web API calls) and the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.app import create_app
from bot.bootstrap import build_war_room
from bot.console.payloads import BOT_USER_ID
from bot.console.signing import SlackClientSim
from bot.console.workspace import LoopbackServer, TrackedExecutor
from bot.settings import Settings, load_settings
from bot.war_room import WarRoom
from bot.web import wsgi_app
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn

SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-e2e-0000-token"
WAR_ROOM = "G0WARROOM1"
DIRECTOR = "U0DIRECTOR"
MEMBERS = ("U0MEMBER01", "U0MEMBER02", "U0MEMBER03", "U0MEMBER04")
OUTSIDER = "U0OUTSIDER"
OTHER_CHANNEL = "G0ELSEWHER"
PUBLIC_CHANNEL = "C0PUBLIC01"


@dataclass
class Served:
    room: WarRoom
    url: str
    clock: FakeClock
    settings: Settings
    tracked: TrackedExecutor

    def idle(self, timeout: float = 15.0) -> None:
        """Block until every listener started so far, and the work it handed on, has returned (the HTTP
        answer comes before): a test that asserts that *nothing* happened waits for this first."""
        assert self.tracked.wait_idle(timeout), f"the app was still handling a request after {timeout} s"


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as api:
        api.set_channel(WAR_ROOM, name="soap-war-room", is_private=True)
        api.set_members(WAR_ROOM, [DIRECTOR, *MEMBERS, BOT_USER_ID])
        api.set_channel(OTHER_CHANNEL, name="random-private", is_private=True)
        api.set_members(OTHER_CHANNEL, [DIRECTOR, OUTSIDER, BOT_USER_ID])
        api.set_channel(PUBLIC_CHANNEL, name="general", is_private=False)
        api.set_members(PUBLIC_CHANNEL, [DIRECTOR, OUTSIDER, *MEMBERS, BOT_USER_ID])
        for user in (DIRECTOR, *MEMBERS, OUTSIDER):
            api.add_user(user, name=user.lower(), real_name=f"Dr. {user[-4:].title()}")
        yield api


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def e2e_settings(standin: SlackStandIn, database_url: str) -> Settings:
    return load_settings(env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                         slack_api_url=standin.url, database_url=database_url, slack_app_token=None)


@pytest.fixture
def served(standin: SlackStandIn, database_url: str, clock: FakeClock) -> Iterator[Served]:
    settings = e2e_settings(standin, database_url)
    # One tracked pool for Bolt's listeners and the work they defer (room.work), as in the console.
    tracked = TrackedExecutor()
    room = build_war_room(settings, clock=clock, sleep=lambda _s: None, work=tracked)
    app = create_app(room, listener_executor=tracked)
    server = LoopbackServer(wsgi_app(app, room), name="e2e-app")
    try:
        yield Served(room, server.url, clock, settings, tracked)
    finally:
        server.stop()
        tracked.shutdown(wait=True)


@pytest.fixture
def slack(served: Served, standin: SlackStandIn) -> SlackClientSim:
    return SlackClientSim(served.url, SIGNING_SECRET, standin=standin)


@pytest.fixture
def war_room(slack: SlackClientSim, standin: SlackStandIn) -> str:
    """A program set up in WAR_ROOM by DIRECTOR; returns the channel id."""
    response = slack.command("setup Internal Medicine – Test", DIRECTOR, WAR_ROOM)
    assert response.status == 200
    standin.wait_for("response_url", count=1)
    standin.reset()
    return WAR_ROOM
