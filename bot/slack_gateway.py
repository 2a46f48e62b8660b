"""Posting to Slack with retries: the one place that talks to the Web API for the application.

Slack answers 429 with a `Retry-After` header when a method's rate limit is hit, and
sometimes 5xx or a timeout. `SlackGateway` retries those with tenacity, waiting what
Retry-After asks (or exponential backoff), until `give_up_at` passes. Errors that a
retry cannot fix (invalid_blocks, channel_not_found…) are raised at once.

Every message the bot posts and every file it uploads is recorded (`BotPosts`, table `bot_posts`)
here, where every post passes, so a purge can delete each one from Slack whichever feature posted it.

**The outbox.** A message is recorded twice: its intent (channel, thread, a marker) before Slack is
asked, and its ts after Slack answered. The marker travels in the message's metadata
(`metadata.event_type = soap_war_room_post`, `event_payload.marker`), so a post whose answer was
lost (the process was killed, Slack answered after the client's timeout or with a 500) can be found
again in the channel's history (`find`, conversations.history / conversations.replies with
`include_all_metadata`; the `groups:history` scope). Hence:

- a retry of a post that may have reached Slack looks it up by its marker first: found, it is
  recorded and not posted again;
- `post(..., marker=m)` is idempotent across processes and crashes: a marker already recorded
  returns its ts without posting; a marker stored without a ts is looked up before posting again.
  Whatever posts "the same thing" again after a failure (a reminder taken over by another clock, a
  note retried by the clock, a card whose claim ran out) passes the same marker (`marker_for(key)`);
- `settle(marker)` says what became of an earlier attempt (its ts, recorded now, or None), and
  `reconcile()` (a clock job) records every intent left without a ts that Slack has, so the purge
  deletes it too.

A caller that wants the intent inside its own transaction (so that a claim and the intent to post
commit together) stores it with `BotPosts.intend` and then posts with `intended=True`:

    with room.database.transaction() as session:
        ...                                    # the caller's own writes (a claim…)
        intent = room.gateway.posts.intend(session, channel, marker=marker_for(f"card:{candidate_id}"))
    ts = room.gateway.post(channel, text, blocks, marker=intent.marker, intended=intent.fresh)

`intend` raises `WarRoomClosed` when the war room is closed (the transaction then rolls back).
`intent.fresh` is True when this transaction stored the marker: nothing can have reached Slack yet,
and `intended=True` posts at once (no look-up, no write before the call: the fast path's budget).
False when an earlier attempt stored it (its process died after the claim, the claim ran out):
posting then looks the message up first, and takes the card Slack already has instead of posting a
second. The ts is recorded after Slack's answer in one short transaction, as for every post, or, with
`record=False`, by the caller in its own next transaction (`BotPosts.record_in`): a first card records
it with its thread, so the card is two transactions (its claim and intent; its thread and record).
`settle(marker)` says what became of an earlier attempt without posting.

**Nothing after closing.** A war room whose channel was shared with another organisation or made
public is closed (`programs.closed_at`, set by `bot.services.programs` when any process finds it).
Every post, update and upload into a channel checks it here, in every process (web, Socket Mode,
clock, retries), and raises `WarRoomClosed` instead of calling Slack; a process that has not asked
Slack about the channel for a minute asks first (`recheck`, the war room's committee directory).
Only the closing notice itself (`notice=True`) is posted into a closed room.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse
from sqlalchemy import String, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from tenacity import (
    RetryCallState,
    Retrying,
    retry,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_fixed,
)

from bot.domain.posts import PostKind
from storage.database import Database
from storage.models import BotPost, Program, UTCDateTime

log = logging.getLogger(__name__)

# What chat.delete and files.delete answer for something already deleted.
GONE_ERRORS = {"message_not_found", "file_not_found", "file_deleted"}
RETRYABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# The metadata event type that carries a post's marker (Slack: letters, digits and underscores).
OUTBOX_EVENT = "soap_war_room_post"
# How far back `find` looks: the newest messages of the channel (or the thread), page by page.
LOOKUP_PAGE = 200
LOOKUP_PAGES = 3
# An intent older than this without a ts is no longer being posted by a live process: the clock's
# reconciliation records it if Slack has it. Longer than any post's retries (`call`'s default give-up).
SETTLE_AFTER = timedelta(minutes=11)
# Reconciliation stops looking for an intent Slack never got after this long: it is marked gone.
ABANDON_AFTER = timedelta(hours=1)
# Methods whose text or files would put applicant data in the channel: refused in a closed war room.
WRITE_METHODS = ("chat.postMessage", "chat.update", "files.completeUploadExternal")


def marker_for(key: str) -> str:
    """The marker of something posted once whoever posts it (a reminder's key, `card:<id>`): 32 hex chars."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def new_marker() -> str:
    return uuid.uuid4().hex


class WarRoomClosed(SlackApiError):
    """The channel is a war room closed because it was shared or made public: nothing is posted there."""

    def __init__(self, channel: str, reason: str) -> None:
        response = SlackResponse(client=None, http_verb="POST", api_url="", req_args={}, headers={}, status_code=403,
                                 data={"ok": False, "error": "war_room_closed"})
        super().__init__(f"the war room is closed: {reason}", response)
        self.channel = channel
        self.reason = reason


def is_transient(error: BaseException) -> bool:
    if isinstance(error, WarRoomClosed):
        return False
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        return status == 429 or status >= 500 or error.response.get("error") in RETRYABLE_ERRORS
    return isinstance(error, TimeoutError | ConnectionError | OSError)


def may_have_reached_slack(error: BaseException) -> bool:
    """A failure after which Slack may have processed the request anyway: a 5xx, a timeout, a broken
    connection. A 429 (or any error Slack answered in full) means it was not processed."""
    if isinstance(error, SlackApiError):
        return error.response.status_code >= 500 or error.response.get("error") in (
            "internal_error", "fatal_error", "service_unavailable", "request_timeout")
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


@dataclass(frozen=True)
class Outgoing:
    """What the outbox holds for a marker when a post starts."""

    ts: str | None  # recorded: already posted
    earlier: bool  # an earlier attempt stored it without a ts: it may have reached Slack


@dataclass(frozen=True)
class Intended:
    """What `BotPosts.intend` stored: the marker, and whether this call stored it (`fresh`) or an earlier
    attempt had (whose post may have reached Slack)."""

    marker: str
    fresh: bool


@dataclass(frozen=True)
class Intent:
    """A post stored without a ts (see `BotPosts.unsettled`)."""

    marker: str
    channel: str
    thread_ts: str | None
    since: datetime


def closed_reason(session: Session, channel: str) -> str | None:
    """Why the war room of `channel` is closed; None when it is open (or not a war room)."""
    row = session.execute(select(Program.closed_at, Program.closed_reason).where(
        Program.channel_id == channel, Program.purged_at.is_(None))).first()
    if row is None or row.closed_at is None:
        return None
    return row.closed_reason or "its channel was shared or made public"


_db_retry = retry(retry=retry_if_exception_type(OperationalError), stop=stop_after_attempt(4),
                  wait=wait_fixed(0.2), reraise=True)


class BotPosts:
    """The record of what the bot put in Slack, and the outbox of what it is about to post. A post that
    Slack took but that cannot be recorded (the database is down) stays an intent: the clock's
    reconciliation finds it in Slack by its marker and records it later."""

    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self._database = database
        self._now = now

    def _insert(self) -> Any:
        return sqlite_insert if self._database.backend == "sqlite" else postgresql_insert

    def _add(self, kind: PostKind, channel: str, ref: str, thread_ts: str | None, marker: str | None = None) -> None:
        try:
            with self._database.transaction() as session:
                added = session.execute(self._insert()(BotPost).values(
                    kind=kind, channel_id=channel, ref=ref, thread_ts=thread_ts, marker=marker,
                    posted_at=self._now()).on_conflict_do_nothing())
                if marker is not None and getattr(added, "rowcount", 1) == 0:  # the marker was taken
                    session.execute(self._insert()(BotPost).values(
                        kind=kind, channel_id=channel, ref=ref, thread_ts=thread_ts,
                        posted_at=self._now()).on_conflict_do_nothing())
        except SQLAlchemyError as error:
            log.warning("could not record a bot %s in %s (%s): a purge will not know it", kind, channel,
                        type(error).__name__)

    # -- the outbox -------------------------------------------------------------------------------
    def intend(self, session: Session, channel: str, *, marker: str | None = None,
               thread_ts: str | None = None) -> Intended:
        """Store the intent to post in `channel` inside the caller's transaction (module docstring).
        Raises `WarRoomClosed` when the war room is closed. Storing a marker twice keeps the first."""
        marker = marker or new_marker()
        # One statement on the fast path: stored unless the war room is closed or the marker is known.
        closed = select(Program.id).where(Program.channel_id == channel, Program.closed_at.is_not(None),
                                          Program.purged_at.is_(None))
        row = select(literal(PostKind.INTENT.value), literal(channel), literal(marker), literal(marker),
                     literal(thread_ts, String), literal(self._now(), UTCDateTime())).where(~closed.exists())
        stored = session.execute(self._insert()(BotPost).from_select(
            ["kind", "channel_id", "ref", "marker", "thread_ts", "posted_at"], row)
            .on_conflict_do_nothing().returning(BotPost.id)).first()
        if stored is None and (reason := closed_reason(session, channel)) is not None:
            raise WarRoomClosed(channel, reason)
        return Intended(marker, fresh=stored is not None)

    @_db_retry
    def begin(self, channel: str, marker: str, thread_ts: str | None, *, check_open: bool = True) -> Outgoing:
        """In one transaction: refuse a closed war room, and store the intent unless the marker is known."""
        with self._database.transaction() as session:
            if check_open and (reason := closed_reason(session, channel)) is not None:
                raise WarRoomClosed(channel, reason)
            row = session.execute(select(BotPost.kind, BotPost.ref).where(BotPost.marker == marker)).first()
            if row is not None:
                return Outgoing(row.ref if row.kind == PostKind.MESSAGE else None, earlier=row.kind == PostKind.INTENT)
            session.execute(self._insert()(BotPost).values(
                kind=PostKind.INTENT, channel_id=channel, ref=marker, marker=marker, thread_ts=thread_ts,
                posted_at=self._now()).on_conflict_do_nothing())
            return Outgoing(None, earlier=False)

    def record(self, marker: str, channel: str, ts: str, thread_ts: str | None) -> bool:
        """The intent was posted as `ts`. False (logged) when the database would not take it: the intent
        stays, and the clock's reconciliation records it later."""
        try:
            self._record(marker, channel, ts, thread_ts)
            return True
        except SQLAlchemyError as error:
            log.warning("could not record a bot message in %s (%s); reconciliation will look it up", channel,
                        type(error).__name__)
            return False

    def record_in(self, session: Session, marker: str, channel: str, ts: str, thread_ts: str | None) -> None:
        """The intent was posted as `ts`, recorded in the caller's transaction (after a post made with
        `record=False`, so that what the post was for and its record commit together)."""
        values = {"kind": PostKind.MESSAGE, "ref": ts, "posted_at": self._now(), "deleted_at": None, "problem": None}
        done = session.execute(update(BotPost).where(BotPost.marker == marker, BotPost.kind == PostKind.INTENT)
                               .values(**values).execution_options(synchronize_session=False))
        if getattr(done, "rowcount", 0) == 0:
            # Another post already holds the marker (a request whose claim ran out posted it too): this
            # message is recorded all the same, without the marker, so the purge deletes both.
            holder = session.scalar(select(BotPost.ref).where(BotPost.marker == marker))
            session.execute(self._insert()(BotPost).values(
                kind=PostKind.MESSAGE, channel_id=channel, ref=ts, marker=marker if holder in (None, ts) else None,
                thread_ts=thread_ts, posted_at=self._now()).on_conflict_do_nothing())

    @_db_retry
    def _record(self, marker: str, channel: str, ts: str, thread_ts: str | None) -> None:
        try:
            with self._database.transaction() as session:
                self.record_in(session, marker, channel, ts, thread_ts)
        except IntegrityError:
            # The message was already recorded without its marker (the purge's back-fill of the
            # tables' posts): keep that row, give it the marker, drop the intent.
            with self._database.transaction() as session:
                session.execute(delete(BotPost).where(BotPost.marker == marker, BotPost.kind == PostKind.INTENT))
                session.execute(update(BotPost).where(BotPost.kind == PostKind.MESSAGE, BotPost.channel_id == channel,
                                                      BotPost.ref == ts).values(marker=marker))

    def known(self, marker: str) -> tuple[PostKind, str, str | None, str | None] | None:
        """(kind, channel, ts if posted, thread) of a marker; None when nothing was stored for it."""
        with self._database.reading() as session:
            row = session.execute(select(BotPost.kind, BotPost.channel_id, BotPost.ref, BotPost.thread_ts)
                                  .where(BotPost.marker == marker)).first()
        if row is None:
            return None
        return row.kind, row.channel_id, row.ref if row.kind == PostKind.MESSAGE else None, row.thread_ts

    def unsettled(self, *, older_than: datetime | None = None, channel: str | None = None,
                  limit: int = 50) -> list[Intent]:
        """Intents without a ts (and not given up), oldest first."""
        query = select(BotPost.marker, BotPost.channel_id, BotPost.thread_ts, BotPost.posted_at).where(
            BotPost.kind == PostKind.INTENT, BotPost.deleted_at.is_(None))
        if older_than is not None:
            query = query.where(BotPost.posted_at <= older_than)
        if channel is not None:
            query = query.where(BotPost.channel_id == channel)
        with self._database.reading() as session:
            return [Intent(str(m), c, t, p) for m, c, t, p in
                    session.execute(query.order_by(BotPost.posted_at).limit(limit))]

    def never_posted(self, marker: str) -> None:
        """Slack does not have it: nothing for a purge to delete (a later record revives it)."""
        with self._database.transaction() as session:
            session.execute(update(BotPost).where(BotPost.marker == marker, BotPost.kind == PostKind.INTENT)
                            .values(deleted_at=self._now(), problem="never posted")
                            .execution_options(synchronize_session=False))

    def closed(self, channel: str) -> str | None:
        with self._database.reading() as session:
            return closed_reason(session, channel)

    # -- the record -------------------------------------------------------------------------------
    def message(self, channel: str, ts: str, thread_ts: str | None = None) -> None:
        self._add(PostKind.MESSAGE, channel, ts, thread_ts)

    def file(self, channel: str, file_id: str, marker: str | None = None) -> None:
        self._add(PostKind.FILE, channel, file_id, None, marker)

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
                 posts: BotPosts | None = None,
                 recheck: Callable[[str], str | None] | None = None) -> None:
        self.client = client
        self._sleep = sleep
        self._now = now
        self._max_attempts = max_attempts
        self._backoff = wait_exponential(multiplier=0.5, min=0.5, max=30)
        self.posts = posts
        # Asks Slack (at most once a minute per channel) whether a war room's channel is still private
        # and unshared, storing what it finds; returns why it is closed, or None.
        self.recheck = recheck

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(error) if error else None
        return asked if asked is not None else float(self._backoff(state))

    def _retrying(self, method: str, give_up_at: datetime | None) -> Retrying:
        deadline = give_up_at or self._now() + timedelta(minutes=10)

        def before_sleep(state: RetryCallState) -> None:
            log.warning("slack %s failed (attempt %d), retrying", method, state.attempt_number)

        def stop(state: RetryCallState) -> bool:
            # No attempt starts after the give-up time, nor a wait that would end after it: a caller holding a lease
            # (a reminder) knows when the last attempt can begin.
            return (bool(stop_after_attempt(self._max_attempts)(state))
                    or self._now() + timedelta(seconds=self._wait(state)) > deadline)

        retrying = Retrying(
            retry=retry_if_exception(is_transient), wait=self._wait, stop=stop, reraise=True,
            before_sleep=before_sleep,
        )
        if self._sleep is not None:
            retrying.sleep = self._sleep
        return retrying

    def call(self, method: str, *, give_up_at: datetime | None = None, **params: Any) -> dict[str, Any]:
        """Call a Web API method, retrying transient failures until `give_up_at` (default 10 min)."""
        if method in WRITE_METHODS and method != "chat.postMessage":
            self.check_open(str(params.get("channel") or params.get("channel_id") or ""))
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

    # -- nothing after closing ----------------------------------------------------------------------
    def check_open(self, channel: str) -> None:
        """Raise `WarRoomClosed` if `channel` is a war room closed because it was shared or made public,
        asking Slack first when this process has not for a minute."""
        if not channel or channel[0] not in "CG":
            return  # a direct message is nobody's war room
        reason = self.recheck(channel) if self.recheck is not None else None
        if reason is None and self.posts is not None:
            reason = self.posts.closed(channel)
        if reason is not None:
            raise WarRoomClosed(channel, reason)

    # -- posting through the outbox -------------------------------------------------------------------
    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, give_up_at: datetime | None = None, *,
             marker: str | None = None, intended: bool = False, notice: bool = False, record: bool = True) -> str:
        """Post a message; returns its ts.

        `marker`: the same marker posts once, whoever retries (module docstring). `intended`: the caller
        stored the intent with `BotPosts.intend` in its own transaction. `notice`: the message that
        tells a closed war room it is closed, the one post a closed room gets. `record=False` (with
        `intended`): the caller records the ts with `BotPosts.record_in` in its next transaction; until
        it does, the post is an intent that `settle` and `reconcile` find by its marker."""
        params: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False}
        if blocks is not None:
            params["blocks"] = blocks
        if thread_ts:
            params["thread_ts"] = thread_ts
        if self.posts is None:
            if not notice:
                self.check_open(channel)
            return str(self.call("chat.postMessage", give_up_at=give_up_at, **params)["ts"])
        marker = marker or new_marker()
        earlier = False
        if not intended:
            if not notice and self.recheck is not None and channel[:1] in ("C", "G") \
                    and (reason := self.recheck(channel)) is not None:
                raise WarRoomClosed(channel, reason)
            outgoing = self.posts.begin(channel, marker, thread_ts, check_open=not notice)
            if outgoing.ts is not None:
                return outgoing.ts
            earlier = outgoing.earlier
        params["metadata"] = {"event_type": OUTBOX_EVENT, "event_payload": {"marker": marker}}
        unsure = [earlier]
        try:
            ts = self._send(marker, params, give_up_at, unsure)
        except Exception:
            if not unsure[0]:  # Slack answered every attempt without posting: nothing to find later
                self._never_posted(marker)
            raise
        if record or not intended:
            self.posts.record(marker, channel, ts, thread_ts)
        return ts

    def _never_posted(self, marker: str) -> None:
        if self.posts is None:
            return
        try:
            self.posts.never_posted(marker)
        except SQLAlchemyError as error:  # the intent stays: reconciliation looks for it, finds nothing
            log.warning("could not record an unposted message (%s)", type(error).__name__)

    def _send(self, marker: str, params: dict[str, Any], give_up_at: datetime | None, unsure: list[bool]) -> str:
        """chat.postMessage with retries; after a failure that may have reached Slack (and when an earlier
        attempt may have: `unsure[0]`, kept up to date for the caller), the message is looked up by its
        marker before it is posted again."""

        def attempt() -> str:
            if unsure[0]:
                found = self.find(params["channel"], marker, params.get("thread_ts"), once=True)
                if found is not None:
                    log.info("a post in %s had reached Slack before its answer was lost; not posted again",
                             params["channel"])
                    return found
            try:
                response = self.client.api_call("chat.postMessage", json=params)
            except Exception as error:
                unsure[0] = unsure[0] or may_have_reached_slack(error)
                raise
            return str(response["ts"])

        return str(self._retrying("chat.postMessage", give_up_at)(attempt))

    def find(self, channel: str, marker: str, thread_ts: str | None = None, *,
             give_up_at: datetime | None = None, once: bool = False) -> str | None:
        """The ts of the bot's message that carries `marker` among the newest messages of the channel
        (or of the thread); None when Slack does not have it. `once`: no retries of its own (a post's
        retry loop retries the look-up with the post)."""
        method = "conversations.replies" if thread_ts else "conversations.history"
        params: dict[str, Any] = {"channel": channel, "limit": LOOKUP_PAGE, "include_all_metadata": "true"}
        if thread_ts:
            params["ts"] = thread_ts
        for _ in range(LOOKUP_PAGES):
            if once:
                response = self.client.api_call(method, params=params)
                page = dict(response.data) if isinstance(response.data, dict) else {}
            else:
                page = self.call(method, give_up_at=give_up_at, **params)
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") == OUTBOX_EVENT \
                        and (metadata.get("event_payload") or {}).get("marker") == marker:
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
            params["cursor"] = cursor
        return None

    def settle(self, marker: str, *, give_up_at: datetime | None = None) -> str | None:
        """What became of an earlier post with `marker`: its ts if Slack has it (recorded now if it was
        not), None if it never reached Slack or nothing was ever stored for it."""
        if self.posts is None:
            return None
        known = self.posts.known(marker)
        if known is None:
            return None
        kind, channel, ts, thread_ts = known
        if ts is not None or kind != PostKind.INTENT:
            return ts
        found = self.find(channel, marker, thread_ts, give_up_at=give_up_at)
        if found is not None:
            self.posts.record(marker, channel, found, thread_ts)
        return found

    def reconcile(self, *, channel: str | None = None, older_than: datetime | None = None) -> tuple[int, int]:
        """Record every intent left without a ts (older than `older_than`, default `SETTLE_AFTER` ago) that
        Slack has; one Slack never got is marked gone after `ABANDON_AFTER`, or at once when `channel`
        is given (the purge). Returns (recorded, gone)."""
        if self.posts is None:
            return 0, 0
        now = self._now()
        cutoff = older_than or now - SETTLE_AFTER
        recorded = gone = 0
        for intent in self.posts.unsettled(older_than=cutoff, channel=channel):
            try:
                found = self.find(intent.channel, intent.marker, intent.thread_ts)
            except SlackApiError as error:
                if error.response.get("error") not in ("channel_not_found", "thread_not_found", "not_in_channel"):
                    raise
                found = None  # the channel or thread is gone: so is the message
            if found is not None:
                recorded += self.posts.record(intent.marker, intent.channel, found, intent.thread_ts)
            elif channel is not None or intent.since <= now - ABANDON_AFTER:
                self.posts.never_posted(intent.marker)
                gone += 1
        if recorded or gone:
            log.info("reconciled bot posts: %d found in Slack and recorded, %d never posted", recorded, gone)
        return recorded, gone

    # -- the rest ----------------------------------------------------------------------------------------
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
               give_up_at: datetime | None = None, marker: str | None = None) -> list[str]:
        """Share a file in a channel (files_upload_v2: get an upload URL, send the bytes, complete).
        A transient failure repeats the three steps; Slack shares the file only at the last one.
        Returns the file ids, recorded for the purge (the first with `marker`: whoever finishes an
        interrupted job can tell the file was shared, `BotPosts.known`)."""
        self.check_open(channel)
        response = self._retrying("files_upload_v2", give_up_at)(
            self.client.files_upload_v2, channel=channel, content=content, filename=filename, title=title,
            initial_comment=initial_comment)
        files = response.get("files") or ([response["file"]] if response.get("file") else [])
        ids = [str(f["id"]) for f in files if isinstance(f, dict) and f.get("id")]
        if self.posts is not None:
            for index, file_id in enumerate(ids):
                self.posts.file(channel, file_id, marker=marker if index == 0 else None)
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
