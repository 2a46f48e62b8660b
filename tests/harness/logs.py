"""Every log line the app writes during a test, formatted as `soapbot serve` writes them."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

from bot.logs import JsonFormatter


@contextlib.contextmanager
def captured_logs(level: int = logging.INFO) -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
