"""A rate-limited Slack delays only the posts that need it: the app served with its own work pool
(bot.work_pool, as `soapbot` builds it), on both databases.

Slack answers chat.postMessage with 429 and `Retry-After: 30`; twelve first cards wait out that
Retry-After. The waits are real waits in the app (the gateway's sleep) that the test ends by an event,
not by time: `/soap help` (an answer through response_url) must come while all twelve still wait.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.app import create_app
from bot.bootstrap import build_war_room
from bot.console.signing import SlackClientSim
from bot.console.workspace import LoopbackServer
from bot.services.candidate_import import import_export
from bot.war_room import WarRoom
from bot.web import wsgi_app
from storage.models import Program
from tests.e2e.conftest import DIRECTOR, MEMBERS, SIGNING_SECRET, WAR_ROOM, e2e_settings
from tests.factories import aamc_id, applicant_rows, eras_csv
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn

CARDS = 12
WAIT = 20.0


class RetryAfterWaits:
    """The gateway's sleep: each wait blocks until the test lets Slack answer again."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.started = threading.Semaphore(0)
        self.over = threading.Event()

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.started.release()
        assert self.over.wait(WAIT), "the test never let Slack answer"


@dataclass
class RateLimited:
    room: WarRoom
    slack: SlackClientSim
    waits: RetryAfterWaits


@pytest.fixture
def rate_limited(standin: SlackStandIn, database_url: str) -> Iterator[RateLimited]:
    waits = RetryAfterWaits()
    room = build_war_room(e2e_settings(standin, database_url), clock=FakeClock(), sleep=waits)
    server = LoopbackServer(wsgi_app(create_app(room), room), name="rate-limited-app")
    slack = SlackClientSim(server.url, SIGNING_SECRET, standin=standin)
    try:
        assert slack.command("setup Internal Medicine – Test", DIRECTOR, WAR_ROOM).status == 200
        standin.wait_for("response_url")
        with room.database.reading() as session:
            program = session.query(Program).one()
        result = import_export(room.database, program.id, eras_csv(applicant_rows(CARDS)), filename="export.csv",
                               actor=DIRECTOR, today=room.clock().date())
        assert result.ok, result.problem
        standin.reset()
        yield RateLimited(room, slack, waits)
    finally:
        waits.over.set()
        server.stop()
        room.work.shutdown(wait=True)


def test_help_is_answered_while_twelve_cards_wait_out_a_rate_limit(rate_limited: RateLimited,
                                                                     standin: SlackStandIn) -> None:
    """Before: the waits held the work pool's threads, and `/soap help` was answered only after them
    (118 s with Retry-After 30)."""
    standin.fail("chat.postMessage", times=CARDS, status=429, retry_after=30)
    for index in range(CARDS):
        assert rate_limited.slack.command(f"candidate {aamc_id(index)}", MEMBERS[index % len(MEMBERS)],
                                          WAR_ROOM).status == 200
    for _ in range(CARDS):
        assert rate_limited.waits.started.acquire(timeout=WAIT), "the cards did not all reach Slack's 429"
    assert rate_limited.waits.asked == [30.0] * CARDS

    assert rate_limited.slack.command("help", MEMBERS[0], WAR_ROOM).status == 200
    answer = standin.wait_for("response_url", timeout=WAIT)
    assert "/soap candidate" in str(answer[0].params)
    assert not rate_limited.waits.over.is_set()
    assert len(standin.calls_to("chat.postMessage")) == CARDS  # all twelve still waiting for their retry

    rate_limited.waits.over.set()
    posted = standin.wait_for("chat.postMessage", count=2 * CARDS, timeout=WAIT)
    assert sum(1 for call in posted if call.params.get("thread_ts") is None) == 2 * CARDS  # 12 refused, 12 cards
