"""The Web API stand-in for tests: the console's local Web API plus the controls only tests need.

``bot.console.web_api.LocalWebApi`` answers like Slack and records every call; this subclass adds
fault injection and waiting, which the product has no use for:

- ``fail(method, ...)``: the next calls to a method fail (429 with ``Retry-After``, 5xx, an error);
  with ``processed=True`` Slack does the work first and only the answer is the failure (a 500 after
  the message was posted);
- ``hold(method)``: the next call waits until released (Slack being slow), so a race is ordered
  by the test, not by a sleep; with ``processed=True`` it waits after the work is done, before the
  answer (Slack answering after the client's timeout, or a process killed between Slack's answer and
  its own record); ``drop()`` instead of ``release()`` ends a held call unprocessed;
- ``reset()``: forget recorded calls between the steps of a test;
- ``wait_for(method, count)``: block until the app made those calls;
- ``calls_to``, ``response_url_posts``, ``views``, ``all_text``: what tests assert on;
- ``socket_mode``: a ``SocketModeStandIn`` whose URL ``apps.connections.open`` hands out.

    with SlackStandIn() as slack:
        slack.set_channel("C0COMMITTEE", name="soap-committee", is_private=True)
        client = WebClient(base_url=slack.url, token="xoxb-test")
        client.chat_postMessage(channel="C0COMMITTEE", text="hi")
        assert slack.calls_to("chat.postMessage")[0].params["text"] == "hi"
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bot.console.web_api import (
    FILE_DOWNLOAD_METHOD,
    FILE_UPLOAD_METHOD,
    RESPONSE_URL_MAX_USES,
    RESPONSE_URL_METHOD,
    LocalWebApi,
    RecordedCall,
    SlackApiError,
    UploadedFile,
)

__all__ = [
    "FILE_DOWNLOAD_METHOD",
    "FILE_UPLOAD_METHOD",
    "RESPONSE_URL_MAX_USES",
    "RESPONSE_URL_METHOD",
    "HeldCall",
    "RecordedCall",
    "SlackStandIn",
    "UploadedFile",
]


@dataclass
class _Failure:
    remaining: int
    status: int
    retry_after: int | None
    error: str


@dataclass
class HeldCall:
    """A Web API call the stand-in keeps waiting (see ``SlackStandIn.hold``)."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    dropped: bool = False
    when: Callable[[dict[str, Any]], bool] | None = None

    def release(self) -> None:
        self.released.set()

    def drop(self) -> None:
        """End the call without Slack doing it (the connection was lost before Slack processed it)."""
        self.dropped = True
        self.released.set()


class SlackStandIn(LocalWebApi):
    """The local Web API with fault injection and waiting. Thread-safe."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cond = threading.Condition(self._lock)
        self._failures: dict[str, list[_Failure]] = {}
        self._holds: dict[str, list[HeldCall]] = {}
        # The same, after Slack did the work (``processed=True``).
        self._failures_after: dict[str, list[_Failure]] = {}
        self._holds_after: dict[str, list[HeldCall]] = {}
        self.socket_mode: Any | None = None  # a SocketModeStandIn; apps.connections.open returns its URL
        self._repeated_ts: list[str] = []

    def __enter__(self) -> SlackStandIn:
        self.start()
        return self

    # -- faults ----------------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        times: int = 3,
        status: int = 429,
        retry_after: int | None = 1,
        error: str | None = None,
        *,
        processed: bool = False,
    ) -> None:
        """The next ``times`` calls to ``method`` fail (after doing their work when ``processed``).

        429: HTTP 429 + ``Retry-After`` + ``{"ok": false, "error": "ratelimited"}``; 5xx: that status
        with ``{"ok": false, "error": error or "internal_error"}``; 200 with ``error=``: Slack's
        error-only answer ``{"ok": false, "error": error}``.
        """
        if status == 429:
            err = error or "ratelimited"
        elif status >= 500:
            err = error or "internal_error"
        else:
            err = error or "fatal_error"
        with self._lock:
            (self._failures_after if processed else self._failures).setdefault(method, []).append(
                _Failure(times, status, retry_after if status == 429 else None, err)
            )

    def repeat_ts(self, ts: str) -> None:
        """The next message posted gets `ts` again, as a workspace that repeats timestamps would."""
        with self._lock:
            self._repeated_ts.append(ts)

    def _next_ts(self) -> str:
        with self._lock:
            return self._repeated_ts.pop(0) if self._repeated_ts else super()._next_ts()

    def hold(self, method: str, *, processed: bool = False,
             when: Callable[[dict[str, Any]], bool] | None = None) -> HeldCall:
        """The next call to ``method`` (whose params satisfy ``when``, if given) waits (Slack is slow)
        until ``release()``, then is answered as usual; ``arrived`` is set once the call is waiting
        (with ``processed``, once Slack did the work). At most 30 s, so a forgotten hold cannot hang a
        test run."""
        held = HeldCall(when=when)
        with self._lock:
            (self._holds_after if processed else self._holds).setdefault(method, []).append(held)
        return held

    def reset(self, *, state: bool = False) -> None:
        """Forget recorded calls and pending failures. Slack's own state (posted messages, views,
        uploads, used trigger_ids / response_urls) survives, so a message posted before the reset
        can still be updated; ``state=True`` clears that too. Channels and users always stay."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._failures_after.clear()
            for holds in (self._holds, self._holds_after):
                for held in (held for waiting in holds.values() for held in waiting):
                    held.release()
                holds.clear()
            if state:
                self._messages.clear()
                self._views.clear()
                self._used_triggers.clear()
                self._uploads.clear()
                self._response_url_uses.clear()

    def _dispatch(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        before = self._fault(method, params, processed=False)
        if before is not None:
            return before
        answer = super()._dispatch(method, path, params, headers, body)
        after = self._fault(method, params, processed=True)
        return after if after is not None else answer

    def _fault(self, method: str, params: dict[str, Any], *, processed: bool) -> tuple[int, Any, dict[str, str]] | None:
        holds_of = self._holds_after if processed else self._holds
        failures_of = self._failures_after if processed else self._failures
        with self._lock:
            holds = holds_of.get(method) or []
            held = next((h for h in holds if h.when is None or h.when(params)), None)
            if held is not None:
                holds.remove(held)
        if held is not None:
            held.arrived.set()
            held.released.wait(30)
            if held.dropped:
                return 503, {"ok": False, "error": "service_unavailable"}, {}
        with self._lock:
            queue = failures_of.get(method)
            failure = queue[0] if queue else None
            if failure is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    queue.pop(0)  # type: ignore[union-attr]
        if failure is None:
            return None
        extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
        return failure.status, {"ok": False, "error": failure.error}, extra

    # -- waiting and inspection ------------------------------------------------------------------
    def _record(self, call: RecordedCall) -> None:
        with self._cond:
            super()._record(call)
            self._cond.notify_all()

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 15) -> list[RecordedCall]:
        """Block until ``count`` calls to ``method`` were recorded; return them (AssertionError on timeout).

        The timeout only bounds a failing test: a passing one returns as soon as the calls are there, so
        it is generous enough for a machine under heavy load."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = sorted({c.method for c in self._calls})
                    raise AssertionError(
                        f"expected {count} call(s) to {method} within {timeout}s, got {len(found)}; seen: {seen}"
                    )
                self._cond.wait(remaining)

    def response_url_posts(self, key: str | None = None) -> list[RecordedCall]:
        calls = self.calls_to(RESPONSE_URL_METHOD)
        if key is None:
            return calls
        suffix = "/" + quote(key, safe="")
        return [c for c in calls if c.path.endswith(suffix)]

    def views(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(json.dumps(v)) for v in self._views.values()]

    def all_text(self, *, include_files: bool = False) -> str:
        """Every text / blocks / attachments / view payload sent, serialised (one per line)."""
        parts: list[str] = []
        keys = ("text", "blocks", "attachments", "view", "initial_comment", "title")
        for call in self.calls:
            if call.method == FILE_UPLOAD_METHOD:
                if include_files:
                    parts.append(call.body.decode("utf-8", errors="replace"))
                continue
            for key in keys:
                if key in call.params:
                    value = call.params[key]
                    parts.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        return "\n".join(parts)

    # -- Socket Mode -----------------------------------------------------------------------------
    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {**super()._methods(), "apps.connections.open": self._apps_connections_open}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.socket_mode is None:
            raise SlackApiError("invalid_app_token")  # nothing to connect to
        return {"url": self.socket_mode.new_connection_url()}
