"""The gateway's retries as Slack would see them: how long it waits after a 429, a 5xx, and when it gives up.

The gateway talks to the Web API stand-in over HTTP; its sleep is recorded (and moves a fake clock)
instead of waiting, so each test sees exactly the pauses a real process would take.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_gateway import SlackGateway
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn

CHANNEL = "C0GATEWAY1"


class RecordingSleep:
    """Records every pause and moves the clock by it, as time would pass."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.clock.advance(seconds=seconds)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.set_channel(CHANNEL, name="gateway", is_private=False)
        yield standin


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep(clock: FakeClock) -> RecordingSleep:
    return RecordingSleep(clock)


@pytest.fixture
def gateway(slack: SlackStandIn, clock: FakeClock, sleep: RecordingSleep) -> SlackGateway:
    client = WebClient(token="xoxb-gateway-test", base_url=slack.url, timeout=5)
    return SlackGateway(client, sleep=sleep, now=clock)


def test_a_429_waits_exactly_what_retry_after_asks_then_posts_once(
        gateway: SlackGateway, slack: SlackStandIn, sleep: RecordingSleep) -> None:
    slack.fail("chat.postMessage", times=2, status=429, retry_after=7)
    ts = gateway.post(CHANNEL, "hello")
    assert sleep.pauses == [7.0, 7.0]
    posts = slack.calls_to("chat.postMessage")
    assert [call.status for call in posts] == [429, 429, 200]
    assert [m["ts"] for m in slack.messages(CHANNEL)] == [ts]


def test_a_long_retry_after_is_honoured_even_beyond_the_backoff_ceiling(
        gateway: SlackGateway, slack: SlackStandIn, sleep: RecordingSleep) -> None:
    slack.fail("chat.update", times=1, status=429, retry_after=45)
    ts = gateway.post(CHANNEL, "first")
    gateway.update(CHANNEL, ts, "second")
    assert sleep.pauses == [45.0]
    assert slack.message(CHANNEL, ts)["text"] == "second"  # type: ignore[index]


def test_5xx_backs_off_exponentially_without_a_retry_after(
        gateway: SlackGateway, slack: SlackStandIn, sleep: RecordingSleep) -> None:
    slack.fail("chat.postMessage", times=4, status=503)
    gateway.post(CHANNEL, "hello")
    assert sleep.pauses == [0.5, 1.0, 2.0, 4.0]
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [503, 503, 503, 503, 200]


def test_it_gives_up_when_the_give_up_time_has_passed(
        gateway: SlackGateway, slack: SlackStandIn, sleep: RecordingSleep, clock: FakeClock) -> None:
    start = clock()
    slack.fail("chat.postMessage", times=100, status=429, retry_after=30)
    with pytest.raises(SlackApiError) as raised:
        gateway.post(CHANNEL, "reminder", give_up_at=start + timedelta(seconds=60))
    assert raised.value.response.status_code == 429
    # Tried at 0 s, 30 s and 60 s; at 60 s the give-up time had come, so no fourth wait.
    assert sleep.pauses == [30.0, 30.0]
    assert len(slack.calls_to("chat.postMessage")) == 3
    assert slack.messages(CHANNEL) == []


def test_by_default_it_gives_up_after_ten_minutes_of_rate_limits(
        slack: SlackStandIn, clock: FakeClock, sleep: RecordingSleep) -> None:
    client = WebClient(token="xoxb-gateway-test", base_url=slack.url, timeout=5)
    gateway = SlackGateway(client, sleep=sleep, now=clock, max_attempts=100)
    slack.fail("chat.postMessage", times=100, status=429, retry_after=120)
    with pytest.raises(SlackApiError):
        gateway.post(CHANNEL, "hello")
    assert sleep.pauses == [120.0] * 5  # tried at 0, 2, 4, 6, 8 and 10 minutes
    assert len(slack.calls_to("chat.postMessage")) == 6


def test_an_error_a_retry_cannot_fix_is_raised_at_once(
        gateway: SlackGateway, slack: SlackStandIn, sleep: RecordingSleep) -> None:
    with pytest.raises(SlackApiError) as raised:
        gateway.post("C0NOSUCHCH", "hello")
    assert raised.value.response["error"] == "channel_not_found"
    assert sleep.pauses == []
    assert len(slack.calls_to("chat.postMessage")) == 1
