"""Waiting for what the app does after it acknowledged: it writes and calls Slack on its work threads."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], timeout: float = 5.0) -> T:
    """Poll until `check()` is truthy and return its value; fail the test when it never is."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
