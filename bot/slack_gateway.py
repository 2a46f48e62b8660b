"""Posting to Slack with retries: the one place that talks to the Web API for the application.

Slack answers 429 with a `Retry-After` header when a method's rate limit is hit, and
sometimes 5xx or a timeout. `SlackGateway` retries those with tenacity, waiting what
Retry-After asks (or exponential backoff), until `give_up_at` passes. Errors that a
retry cannot fix (invalid_blocks, channel_not_found…) are raised at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

log = logging.getLogger(__name__)

RETRYABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        return status == 429 or status >= 500 or error.response.get("error") in RETRYABLE_ERRORS
    return isinstance(error, TimeoutError | ConnectionError | OSError)


def retry_after_seconds(error: BaseException) -> float | None:
    if isinstance(error, SlackApiError):
        value = error.response.headers.get("Retry-After") or error.response.headers.get("retry-after")
        if isinstance(value, list):
            value = value[0] if value else None
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None
    return None


class SlackGateway:
    def __init__(self, client: WebClient, *, sleep: Callable[[float], None] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), max_attempts: int = 8) -> None:
        self.client = client
        self._sleep = sleep
        self._now = now
        self._max_attempts = max_attempts
        self._backoff = wait_exponential(multiplier=0.5, min=0.5, max=30)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(error) if error else None
        return asked if asked is not None else float(self._backoff(state))

    def _retrying(self, method: str, give_up_at: datetime | None) -> Retrying:
        deadline = give_up_at or self._now() + timedelta(minutes=10)

        def before_sleep(state: RetryCallState) -> None:
            log.warning("slack %s failed (attempt %d), retrying", method, state.attempt_number)

        def stop(state: RetryCallState) -> bool:
            return bool(stop_after_attempt(self._max_attempts)(state)) or self._now() >= deadline

        retrying = Retrying(
            retry=retry_if_exception(_is_transient), wait=self._wait, stop=stop, reraise=True,
            before_sleep=before_sleep,
        )
        if self._sleep is not None:
            retrying.sleep = self._sleep
        return retrying

    def call(self, method: str, *, give_up_at: datetime | None = None, **params: Any) -> dict[str, Any]:
        """Call a Web API method, retrying transient failures until `give_up_at` (default 10 min)."""
        retrying = self._retrying(method, give_up_at)
        # Write methods take JSON (blocks stay structured); read methods take form fields, as Slack documents.
        body = {"json": params} if method.startswith(("chat.", "views.")) else {"params": params}
        response = retrying(self.client.api_call, method, **body)
        return dict(response.data) if isinstance(response.data, dict) else {}

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, give_up_at: datetime | None = None) -> str:
        """Post a message; returns its ts."""
        params: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False}
        if blocks is not None:
            params["blocks"] = blocks
        if thread_ts:
            params["thread_ts"] = thread_ts
        return str(self.call("chat.postMessage", give_up_at=give_up_at, **params)["ts"])

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        params: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if blocks is not None:
            params["blocks"] = blocks
        self.call("chat.update", **params)

    def post_ephemeral(self, channel: str, user: str, text: str,
                       blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None) -> None:
        params: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if blocks is not None:
            params["blocks"] = blocks
        if thread_ts:
            params["thread_ts"] = thread_ts
        self.call("chat.postEphemeral", **params)

    def upload(self, channel: str, *, content: bytes, filename: str, title: str, initial_comment: str,
               give_up_at: datetime | None = None) -> None:
        """Share a file in a channel (files_upload_v2: get an upload URL, send the bytes, complete).
        A transient failure repeats the three steps; Slack shares the file only at the last one."""
        self._retrying("files_upload_v2", give_up_at)(
            self.client.files_upload_v2, channel=channel, content=content, filename=filename, title=title,
            initial_comment=initial_comment)

    def channel_members(self, channel: str) -> set[str]:
        members: set[str] = set()
        cursor = None
        while True:
            params: dict[str, Any] = {"channel": channel, "limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = self.call("conversations.members", **params)
            members.update(page.get("members", []))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members
