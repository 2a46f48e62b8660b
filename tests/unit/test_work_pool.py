"""The work pool shares its slots between kinds of work and does not hold one while waiting on Slack
(bot.work_pool). Ordered by events: a task blocks on an Event the test sets, never on a sleep."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.work_pool import SlackWebClient, WorkPool, submit_in_lane, waiting_on_slack

WAIT = 10.0


@pytest.fixture
def pool() -> Iterator[WorkPool]:
    work = WorkPool(4)
    yield work
    work.shutdown(wait=True)


def _blocked(started: threading.Semaphore, release: threading.Event) -> None:
    started.release()
    assert release.wait(WAIT)


def test_a_burst_of_one_kind_leaves_a_slot_for_another(pool: WorkPool) -> None:
    """Twenty cards queued first: `/soap help` still runs while every card waits."""
    started, release = threading.Semaphore(0), threading.Event()
    cards = [pool.submit_to("/soap candidate", _blocked, started, release) for _ in range(20)]
    for _ in range(pool.lane_limit):
        assert started.acquire(timeout=WAIT)
    help_answer = pool.submit_to("/soap help", lambda: "help")
    assert help_answer.result(timeout=WAIT) == "help"
    assert sum(card.running() for card in cards) == pool.lane_limit == 3  # one slot of 4 kept for others
    release.set()
    for card in cards:
        card.result(timeout=WAIT)


def test_lanes_take_turns_for_a_free_slot(pool: WorkPool) -> None:
    """A lane queued later is not served after everything queued before it."""
    order: list[str] = []
    gate = threading.Event()
    started = threading.Semaphore(0)
    blockers = [pool.submit_to("hold", _blocked, started, gate) for _ in range(pool.lane_limit)]
    other = pool.submit_to("other-hold", _blocked, started, gate)  # every slot is now taken
    for _ in range(pool.workers):
        assert started.acquire(timeout=WAIT)
    queued = [pool.submit_to("cards", order.append, "card") for _ in range(5)]
    queued.append(pool.submit_to("help", order.append, "help"))
    gate.set()
    for future in [*blockers, other, *queued]:
        future.result(timeout=WAIT)
    assert order.index("help") <= 1, order


def test_waiting_on_slack_gives_the_slot_up(pool: WorkPool) -> None:
    """Work waiting on Slack (a 429's Retry-After) holds no slot: more of it than there are slots can
    wait at once, and other work still runs meanwhile."""
    waiting, release = threading.Semaphore(0), threading.Event()

    def post_rate_limited() -> str:
        with waiting_on_slack():
            waiting.release()
            assert release.wait(WAIT)
        return "posted"

    posts = [pool.submit_to("/soap candidate", post_rate_limited) for _ in range(12)]
    for _ in range(12):  # all 12 wait at once, on 4 slots
        assert waiting.acquire(timeout=WAIT)
    assert pool.submit_to("/soap candidate", lambda: "read").result(timeout=WAIT) == "read"
    assert pool.submit_to("/soap help", lambda: "help").result(timeout=WAIT) == "help"
    release.set()
    assert [post.result(timeout=WAIT) for post in posts] == ["posted"] * 12


def test_another_executor_takes_lanes_as_plain_submissions() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as executor:
        assert submit_in_lane(executor, "/soap help", lambda x: x * 2, 21).result(timeout=WAIT) == 42


def test_a_web_api_call_in_flight_holds_no_slot() -> None:
    """Slack slow to answer (a held chat.postMessage): the one slot of a 1-slot pool serves other work
    while the call waits, through the client every process uses (bot.work_pool.SlackWebClient)."""
    from tests.harness.slack_api import SlackStandIn

    pool = WorkPool(1)
    with SlackStandIn() as api:
        api.set_channel("C0TEST0001", name="test", is_private=False)
        client = SlackWebClient(token="xoxb-test", base_url=api.url)
        held = api.hold("chat.postMessage")
        post = pool.submit_to("/soap candidate", client.api_call, "chat.postMessage",
                              json={"channel": "C0TEST0001", "text": "card"})
        assert held.arrived.wait(WAIT)
        assert pool.submit_to("/soap candidate", lambda: "read").result(timeout=WAIT) == "read"
        held.release()
        assert post.result(timeout=WAIT)["ok"]
    pool.shutdown(wait=True)
