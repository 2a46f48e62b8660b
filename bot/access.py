"""Who may do what in a war room: roles, access levels, and the committee directory.

The committee is the set of members of the program's war-room channel, as Slack
reports them (cached for at most a minute, so a member removed from the channel
loses access within a minute). Directors and observers are recorded roles; every
other channel member is a plain member.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from bot.domain.roles import Role
from bot.errors import NotADirector, NotAWarRoom, NotInCommittee, ReadOnlyObserver


class Access(IntEnum):
    """What a listener needs, in increasing order."""

    ANYONE = 0  # help, setup: no war room needed
    READ = 1  # any committee member, observers included
    WRITE = 2  # members and directors
    DIRECTOR = 3


@dataclass(frozen=True)
class ProgramRef:
    id: int
    name: str
    channel_id: str
    team_id: str
    timezone: str


@dataclass(frozen=True)
class Actor:
    """The person behind a request, in the war room the request came from (if any)."""

    user_id: str
    team_id: str | None
    channel_id: str | None
    program: ProgramRef | None
    role: Role

    def require(self, access: Access, what: str = "do this") -> ProgramRef:
        """Return the program, or raise the refusal the person should read."""
        if self.program is None:
            raise NotAWarRoom()
        if self.role is Role.OUTSIDER:
            raise NotInCommittee()
        if access is Access.DIRECTOR and self.role is not Role.DIRECTOR:
            raise NotADirector(what)
        if access is Access.WRITE and self.role is Role.OBSERVER:
            raise ReadOnlyObserver()
        return self.program

    @property
    def is_director(self) -> bool:
        return self.role is Role.DIRECTOR


class CommitteeDirectory:
    """Channel membership with a short cache; `fetch` asks Slack (all pages)."""

    def __init__(self, fetch: Callable[[str], set[str]], max_age_seconds: float = 60.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()
        self._exposed: dict[str, str] = {}

    def members(self, channel_id: str) -> frozenset[str]:
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(channel_id)
            if cached and now - cached[0] < self._max_age:
                return cached[1]
        fresh = frozenset(self._fetch(channel_id))
        with self._lock:
            self._cache[channel_id] = (now, fresh)
        return fresh

    def set_exposure(self, channel_id: str, reason: str | None) -> None:
        """What the fetch found: the channel was made public or shared (why), or None."""
        with self._lock:
            if reason is None:
                self._exposed.pop(channel_id, None)
            else:
                self._exposed[channel_id] = reason

    def exposure(self, channel_id: str) -> str | None:
        """Why the channel can no longer be a war room, as of the last fetch (None: it still can)."""
        with self._lock:
            return self._exposed.get(channel_id)

    def forget(self, channel_id: str | None = None) -> None:
        with self._lock:
            if channel_id is None:
                self._cache.clear()
            else:
                self._cache.pop(channel_id, None)
