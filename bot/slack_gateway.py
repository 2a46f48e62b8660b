"""Posting to Slack with retries: the one place that talks to the Web API for the application.

Slack answers 429 with a `Retry-After` header when a method's rate limit is hit, and
sometimes 5xx or a timeout. `SlackGateway` retries those with tenacity, waiting what
Retry-After asks (or exponential backoff), until `give_up_at` passes. Errors that a
retry cannot fix (invalid_blocks, channel_not_found…) are raised at once.

Every message the bot posts and every file it uploads is recorded (`BotPosts`, table `bot_posts`)
here, where every post passes, so a purge can delete each one from Slack whichever feature posted it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from bot.domain.posts import PostKind
from storage.database import Database
from storage.models import BotPost

log = logging.getLogger(__name__)

# What chat.delete and files.delete answer for something already deleted.
GONE_ERRORS = {"message_not_found", "file_not_found", "file_deleted"}
RETRYABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


def is_transient(error: BaseException) -> bool:
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


class BotPosts:
    """The record of what the bot put in Slack. A post that Slack took but that cannot be recorded (the
    database is down) is logged as a warning: the purge would miss it."""

    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self._database = database
        self._now = now

    def _add(self, kind: PostKind, channel: str, ref: str, thread_ts: str | None) -> None:
        insert = sqlite_insert if self._database.backend == "sqlite" else postgresql_insert
        try:
            with self._database.transaction() as session:
                session.execute(insert(BotPost).values(kind=kind, channel_id=channel, ref=ref, thread_ts=thread_ts,
                                                       posted_at=self._now()).on_conflict_do_nothing())
        except SQLAlchemyError as error:
            log.warning("could not record a bot %s in %s (%s): a purge will not know it", kind, channel,
                        type(error).__name__)

    def message(self, channel: str, ts: str, thread_ts: str | None = None) -> None:
        self._add(PostKind.MESSAGE, channel, ts, thread_ts)

    def file(self, channel: str, file_id: str) -> None:
        self._add(PostKind.FILE, channel, file_id, None)

    def gone(self, kind: PostKind, ref: str, channel: str | None = None) -> None:
        """Slack deleted it (or it was already gone)."""
        query = update(BotPost).where(BotPost.kind == kind, BotPost.ref == ref, BotPost.deleted_at.is_(None))
        if channel is not None:
            query = query.where(BotPost.channel_id == channel)
        try:
            with self._database.transaction() as session:
                session.execute(query.values(deleted_at=self._now(), problem=None)
                                .execution_options(synchronize_session=False))
        except SQLAlchemyError as error:
            log.warning("could not record a deleted bot %s (%s)", kind, type(error).__name__)


class SlackGateway:
    def __init__(self, client: WebClient, *, sleep: Callable[[float], None] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), max_attempts: int = 8,
                 posts: BotPosts | None = None) -> None:
        self.client = client
        self._sleep = sleep
        self._now = now
        self._max_attempts = max_attempts
        self._backoff = wait_exponential(multiplier=0.5, min=0.5, max=30)
        self.posts = posts

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
            retry=retry_if_exception(is_transient), wait=self._wait, stop=stop, reraise=True,
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
        try:
            response = retrying(self.client.api_call, method, **body)
        except SlackApiError as error:
            if method in ("chat.delete", "files.delete") and error.response.get("error") in GONE_ERRORS:
                self._record(method, params, {})
            raise
        data = dict(response.data) if isinstance(response.data, dict) else {}
        self._record(method, params, data)
        return data

    def _record(self, method: str, params: dict[str, Any], data: dict[str, Any]) -> None:
        if self.posts is None:
            return
        if method == "chat.postMessage" and data.get("ts"):
            self.posts.message(str(data.get("channel") or params["channel"]), str(data["ts"]),
                               params.get("thread_ts"))
        elif method == "chat.delete":
            self.posts.gone(PostKind.MESSAGE, str(params.get("ts")), str(params.get("channel")))
        elif method == "files.delete":
            self.posts.gone(PostKind.FILE, str(params.get("file")))

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
               give_up_at: datetime | None = None) -> list[str]:
        """Share a file in a channel (files_upload_v2: get an upload URL, send the bytes, complete).
        A transient failure repeats the three steps; Slack shares the file only at the last one.
        Returns the file ids, recorded for the purge."""
        response = self._retrying("files_upload_v2", give_up_at)(
            self.client.files_upload_v2, channel=channel, content=content, filename=filename, title=title,
            initial_comment=initial_comment)
        files = response.get("files") or ([response["file"]] if response.get("file") else [])
        ids = [str(f["id"]) for f in files if isinstance(f, dict) and f.get("id")]
        if self.posts is not None:
            for file_id in ids:
                self.posts.file(channel, file_id)
        return ids

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
