"""The war room of a process: one object that holds settings, the database, Slack, the clock and
what the candidate card shows.

Handlers receive it in `register(app, room)`; services receive its parts. Every process builds it
with `bot.bootstrap.build_war_room`; tests and the console pass a fake clock or a stand-in Web API,
nothing else differs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.access import CommitteeDirectory
from bot.services.cards import SectionProvider
from bot.settings import Settings
from bot.slack_gateway import BotPosts, SlackGateway
from bot.work_pool import WorkPool, sleeping_off_slot
from storage.database import Database


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class WarRoom:
    settings: Settings
    database: Database
    client: WebClient
    # The card's sections, in order (bot.bootstrap.CARD_SECTIONS): passed in, not found by import,
    # so the clock draws the same card as the web process.
    card_sections: Sequence[SectionProvider]
    clock: Callable[[], datetime] = system_clock
    sleep: Callable[[float], None] | None = None
    # Where a request's work runs after Slack has its acknowledgement (handlers.errors.guard, the
    # router). Small and bounded: a burst queues its work here instead of its acks, and few threads
    # holding the GIL leave the request threads free to acknowledge; shared fairly between kinds of
    # work, and not held while waiting on Slack (bot.work_pool, docs/operations.md).
    work_pool: InitVar[Executor | None] = None
    # Who the committee of a war-room channel is (bot.services.programs.war_room_members: its members while
    # the channel is private and unshared); by default simply the channel's members.
    members_of: Callable[[WarRoom, str], set[str]] | None = None
    work: Executor = field(init=False)
    gateway: SlackGateway = field(init=False)
    _bot_user: str | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    directory: CommitteeDirectory = field(init=False)

    def __post_init__(self, work_pool: Executor | None) -> None:
        self.work = work_pool or WorkPool(self.settings.work_threads)
        # A wait before a Web API retry (a 429's Retry-After) gives its work slot up meanwhile.
        self.gateway = SlackGateway(self.client, sleep=sleeping_off_slot(self.sleep or time.sleep), now=self.clock,
                                    posts=BotPosts(self.database, self.clock),
                                    recheck=self._exposure_of if self.members_of is not None else None)
        self.directory = CommitteeDirectory(self._committee_of,
                                            max_age_seconds=self.settings.committee_cache_seconds)

    def _committee_of(self, channel_id: str) -> set[str]:
        if self.members_of is None:
            return self.gateway.channel_members(channel_id)
        return self.members_of(self, channel_id)

    def _exposure_of(self, channel_id: str) -> str | None:
        """Why the channel can no longer be a war room, asking Slack when the directory's answer is older
        than its cache (`members_of` stores what it finds, and tells the directors once)."""
        self.directory.members(channel_id)
        return self.directory.exposure(channel_id)

    def bot_user_id(self) -> str | None:
        """The bot's own Slack user id (auth.test), asked once; None while Slack cannot say."""
        with self._lock:
            if self._bot_user is None:
                try:
                    self._bot_user = str(self.gateway.call("auth.test").get("user_id") or "") or None
                except SlackApiError:
                    return None
            return self._bot_user

    def people(self, channel_id: str) -> set[str]:
        """The channel's members without the bot: the people of a war room (observers included)."""
        return set(self.directory.members(channel_id)) - {self.bot_user_id()}

