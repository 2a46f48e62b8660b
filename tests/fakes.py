"""Test doubles that are not Slack: a clock that moves only when told."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class FakeClock:
    """A callable clock (`clock()` -> aware UTC datetime) that tests move by hand; no sleeps."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2027, 3, 17, 13, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        with self._lock:
            self._now += delta if delta is not None else timedelta(**kwargs)
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when

    def sleep(self, seconds: float) -> None:
        """Stand-in for time.sleep in retry loops: moves the clock instead of waiting."""
        self.advance(seconds=seconds)
