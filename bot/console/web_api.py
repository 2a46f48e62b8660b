"""The console's local Slack Web API on loopback, for ``WebClient(base_url=web_api.url)``.

It records every call, answers with Slack's response shapes, and rejects what Slack rejects
(Block Kit limits in ``bot.console.blockkit.LIMITS``), so the console shows a call the real
Slack would refuse. Also served here: the upload URLs that
``files.getUploadURLExternal`` hands out (step 2 of ``files_upload_v2``) and ``response_url``
endpoints for ``respond()``.

    with LocalWebApi() as slack:
        slack.set_channel("C0COMMITTEE", name="soap-committee", is_private=True)
        slack.set_members("C0COMMITTEE", ["U1", "U2"])
        client = WebClient(base_url=slack.url, token="xoxb-test")
        client.chat_postMessage(channel="C0COMMITTEE", text="hi")
        assert slack.calls[-1].params["text"] == "hi"

Tests use a subclass (``tests.harness.slack_api.SlackStandIn``) that can also fail a method, keep
a call waiting, forget what it recorded and wait for a call; the console needs none of that.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlsplit

from bot.console import payloads
from bot.console.blockkit import LIMITS, BlockKitError, parse_json_field, validate_blocks, validate_view

RESPONSE_URL_METHOD = "response_url"
FILE_UPLOAD_METHOD = "files.upload_url"  # the POST of file bytes to the URL from getUploadURLExternal
FILE_DOWNLOAD_METHOD = "files.download"  # a GET of url_private_download (a file a person shared)
RESPONSE_URL_MAX_USES = 5  # Slack: a response_url works up to 5 times within 30 minutes


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in received (including the ones it refused)."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float
    path: str = ""
    body: bytes = b""
    status: int = 200
    response: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and isinstance(self.response, dict) and bool(self.response.get("ok"))


@dataclass
class UploadedFile:
    """A file sent through files.getUploadURLExternal -> upload URL -> files.completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False
    deleted: bool = False  # files.delete

    @property
    def text(self) -> str:
        return (self.content or b"").decode("utf-8-sig")


@dataclass
class _Channel:
    id: str
    name: str
    is_private: bool
    members: list[str] = field(default_factory=list)
    is_archived: bool = False
    created: int = 1711000000
    # Slack Connect: shared with another organisation's workspace (conversations.info's is_ext_shared).
    shared_with: list[str] = field(default_factory=list)


class SlackApiError(Exception):
    """Internal: turns into an ``{"ok": false, "error": ...}`` answer."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    web_api: LocalWebApi


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.web_api._handle(self)

    def do_POST(self) -> None:
        self.server.web_api._handle(self)


class LocalWebApi:
    """Thread-safe local Web API. Use as a context manager or ``start()``/``stop()``."""

    def __init__(
        self,
        *,
        team_id: str = payloads.TEAM_ID,
        team_domain: str = payloads.TEAM_DOMAIN,
        bot_user_id: str = payloads.BOT_USER_ID,
        bot_id: str = payloads.BOT_ID,
        app_id: str = payloads.APP_ID,
        require_token: bool = True,
        action_id_scope: Literal["block", "message"] = "block",
        ts_start: int = 1711000000,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.require_token = require_token
        self.action_id_scope = action_id_scope

        self._lock = threading.RLock()
        self._calls: list[RecordedCall] = []
        self._channels: dict[str, _Channel] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._used_triggers: set[str] = set()
        self._uploads: dict[str, UploadedFile] = {}
        self._shared_files: dict[str, bytes] = {}  # share_file(): what url_private_download serves
        self._response_url_uses: dict[str, int] = {}
        self._ts_counter = ts_start * 1_000_000
        self._id_counter = 0

        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.add_user(bot_user_id, "soap-war-room", "SOAP War Room", is_bot=True)

    def continue_after(self, ts: str | None) -> None:
        """Make every new message ts later than `ts`: Slack never gives two messages of a channel one
        ts, and a database from an earlier session already holds that session's."""
        if ts is None:
            return
        with self._lock:
            seconds, _, micro = ts.partition(".")
            self._ts_counter = max(self._ts_counter, int(seconds) * 1_000_000 + int(micro.ljust(6, "0")[:6]) + 1)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> LocalWebApi:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.web_api = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> LocalWebApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Base URL for ``WebClient(base_url=...)`` (ends in ``/api/``)."""
        return f"{self.root_url}/api/"

    def response_url(self, key: str) -> str:
        """A response_url whose POSTs are recorded as method ``"response_url"`` (``call.path`` ends in key)."""
        return f"{self.root_url}/hooks/response/{quote(key, safe='')}"

    # -- configuration --------------------------------------------------------------------------
    def set_channel(
        self,
        channel: str,
        name: str | None = None,
        is_private: bool = True,
        *,
        members: Iterable[str] | None = None,
        bot_is_member: bool = True,
        is_archived: bool = False,
        shared_with: Iterable[str] | None = None,
    ) -> None:
        """``shared_with``: team ids of other organisations the channel is shared with (Slack Connect)."""
        with self._lock:
            ch = self._channels.get(channel)
            if ch is None:
                ch = _Channel(channel, name or channel.lower(), is_private)
                self._channels[channel] = ch
                if bot_is_member:
                    ch.members.append(self.bot_user_id)
            if name is not None:
                ch.name = name
            ch.is_private = is_private
            ch.is_archived = is_archived
            if shared_with is not None:
                ch.shared_with = list(shared_with)
            if members is not None:
                self._set_members_locked(ch, members, bot_is_member)
            elif not bot_is_member and self.bot_user_id in ch.members:
                ch.members.remove(self.bot_user_id)

    def set_members(self, channel: str, members: Iterable[str], *, include_bot: bool = True) -> None:
        """Channel membership, in order. The bot is appended unless ``include_bot=False``
        (then posting there answers ``not_in_channel``). Creates the channel if needed."""
        with self._lock:
            if channel not in self._channels:
                self._channels[channel] = _Channel(channel, channel.lower(), True)
            self._set_members_locked(self._channels[channel], members, include_bot)

    def _set_members_locked(self, ch: _Channel, members: Iterable[str], include_bot: bool) -> None:
        ch.members = [m for m in members if m != self.bot_user_id]
        if include_bot:
            ch.members.append(self.bot_user_id)

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        *,
        email: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        tz: str = "America/Chicago",
        **extra: Any,
    ) -> dict[str, Any]:
        real = real_name or name
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real,
            "tz": tz,
            "tz_label": "Central Daylight Time",
            "tz_offset": -18000,
            "profile": {
                "avatar_hash": "ge3b51ca72de",
                "status_text": "",
                "status_emoji": "",
                "real_name": real,
                "display_name": name,
                "real_name_normalized": real,
                "display_name_normalized": name,
                "email": email or f"{name}@example.org",
                "image_24": "https://secure.gravatar.com/avatar/x.jpg?s=24",
                "image_72": "https://secure.gravatar.com/avatar/x.jpg?s=72",
                "team": self.team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1711000000,
            "has_2fa": False,
        }
        if is_bot:
            user["profile"]["bot_id"] = self.bot_id
            user["profile"].pop("email")
        user.update(extra)
        with self._lock:
            self._users[user_id] = user
        return user

    def user_posts(self, channel: str, user: str, text: str, *, thread_ts: str | None = None,
                   files: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A person types ``text`` in the Slack client (the console's plain messages and thread replies).

        The message is stored like Slack stores it (so the app can reply in its thread, fetch its
        permalink…) and returned as the ``message`` event Slack would deliver; nothing is recorded
        as a Web API call, because the app did not make one. ``files`` (from ``share_file``) make it
        the ``file_share`` message Slack sends when a person uploads files with a message.
        """
        with self._lock:
            ch = self._channels.get(channel)
            if ch is None:
                raise KeyError(f"no channel {channel} in the stand-in")
            if thread_ts is not None and (channel, thread_ts) not in self._messages:
                raise KeyError(f"no message {thread_ts} in {channel}")
            ts = self._next_ts()
            parent = self._messages.get((channel, thread_ts)) if thread_ts else None
            event = payloads.message_event(
                channel, user, text, ts, thread_ts,
                parent_user_id=str(parent.get("user") or user) if parent else None,
                channel_type="group" if ch.is_private else "channel", team_id=self.team_id,
            )
            if files:
                event.update({"subtype": "file_share", "files": files, "upload": False, "display_as_bot": False})
            stored = {key: value for key, value in event.items() if key not in ("channel", "event_ts", "channel_type")}
            self._messages[(channel, ts)] = stored
            return event

    # -- inspection -----------------------------------------------------------------------------
    @property
    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    @property
    def uploads(self) -> list[UploadedFile]:
        with self._lock:
            return [UploadedFile(**vars(u)) for u in self._uploads.values()]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message as currently stored (after chat.update), or None (never posted / deleted)."""
        with self._lock:
            msg = self._messages.get((channel, ts))
            return json.loads(json.dumps(msg)) if msg is not None else None

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view the app last published for this person (views.publish), or None."""
        with self._lock:
            view = self._views.get(self._home_view_id(user_id))
            return json.loads(json.dumps(view)) if view is not None else None

    @staticmethod
    def _home_view_id(user_id: str) -> str:
        return f"VHOME{user_id[1:]}"

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                json.loads(json.dumps(m)) for (ch, _), m in self._messages.items() if channel is None or ch == channel
            ]

    # -- ids ------------------------------------------------------------------------------------
    def _next_ts(self) -> str:
        with self._lock:
            self._ts_counter += 100
            sec, micro = divmod(self._ts_counter, 1_000_000)
            return f"{sec}.{micro:06d}"

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._id_counter += 1
            return f"{prefix}0{self._id_counter:08X}"

    # -- files people share (candidates import) ------------------------------------------------
    def share_file(self, filename: str, content: bytes, user: str, *, mimetype: str = "text/csv") -> dict[str, Any]:
        """A file a person uploaded: returns the file object a ``file_share`` message event carries.

        Its ``url_private_download`` points at this stand-in; a GET with a bot token (Bearer) gets
        the bytes (recorded as method ``"files.download"``), anything else gets Slack's HTML login page.
        """
        file_id = self._next_id("F")
        with self._lock:
            self._shared_files[file_id] = content
        url = f"{self.root_url}/files-pri/{self.team_id}-{file_id}/download/{quote(filename)}"
        return {"id": file_id, "created": int(time.time()), "timestamp": int(time.time()), "name": filename,
                "title": filename, "mimetype": mimetype, "filetype": filename.rsplit(".", 1)[-1], "user": user,
                "user_team": self.team_id, "size": len(content), "mode": "hosted", "is_external": False,
                "is_public": False, "url_private": url.replace("/download/", "/"), "url_private_download": url}

    def _shared_file_get(self, path: str, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        file_id = path.split("/")[2].rsplit("-", 1)[-1] if path.count("/") >= 2 else ""
        with self._lock:
            content = self._shared_files.get(file_id)
        if content is None:
            return 404, "not_found", {}
        if not auth.startswith("Bearer xoxb-"):
            return 200, "<!DOCTYPE html><html><body>Sign in to Slack</body></html>", {}
        return 200, content, {}

    # -- HTTP plumbing --------------------------------------------------------------------------
    def _handle(self, req: _Handler) -> None:
        parts = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        headers = {k: v for k, v in req.headers.items()}
        path = parts.path
        if path.startswith("/api/"):
            method = path[len("/api/") :]
        elif path.startswith("/hooks/response/"):
            method = RESPONSE_URL_METHOD
        elif path.startswith("/upload/v1/"):
            method = FILE_UPLOAD_METHOD
        elif path.startswith("/files-pri/"):  # shared-file downloads (see share_file)
            method = FILE_DOWNLOAD_METHOD
        else:
            method = path.lstrip("/") or "unknown"
        params: dict[str, Any] = {}
        if method != FILE_UPLOAD_METHOD:
            params = self._parse_params(parts.query, body, headers.get("Content-Type", ""))

        status, payload, extra_headers = self._dispatch(method, path, params, headers, body)
        # Record before answering: once the client has its answer, the call is visible.
        self._record(RecordedCall(method, params, headers, time.time(), path, body, status, payload))
        if isinstance(payload, str | bytes):
            out = payload.encode() if isinstance(payload, str) else payload
            ctype = "text/plain; charset=utf-8"
        else:
            out = json.dumps(payload).encode()
            ctype = "application/json; charset=utf-8"
        try:
            req.send_response(status)
            req.send_header("Content-Type", ctype)
            req.send_header("Content-Length", str(len(out)))
            for k, v in extra_headers.items():
                req.send_header(k, v)
            req.end_headers()
            req.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _parse_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
        params: dict[str, Any] = {}

        def merge_qs(raw: str) -> None:
            for k, vals in parse_qs(raw, keep_blank_values=True).items():
                params[k] = vals[0] if len(vals) == 1 else vals

        if query:
            merge_qs(query)
        if body:
            text = body.decode("utf-8", errors="replace")
            if "json" in content_type or (not content_type and text.lstrip().startswith("{")):
                try:
                    data = json.loads(text)
                except ValueError:
                    params["_invalid_json_body"] = text
                else:
                    if isinstance(data, dict):
                        params.update(data)
            elif "multipart" not in content_type:
                merge_qs(text)
        return params

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)

    def _intercept(self, method: str) -> tuple[int, Any, dict[str, str]] | None:
        """An answer given instead of the method's own (none here: a subclass may fail a method)."""
        return None

    def _dispatch(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        intercepted = self._intercept(method)
        if intercepted is not None:
            return intercepted
        if method == RESPONSE_URL_METHOD:
            return self._response_url_post(path, params)
        if method == FILE_UPLOAD_METHOD:
            return self._file_upload_post(path, body)
        if method == FILE_DOWNLOAD_METHOD:
            return self._shared_file_get(path, headers)

        handler = self._methods().get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
        auth_error = self._check_token(method, params, headers)
        if auth_error is not None:
            return 200, {"ok": False, "error": auth_error}, {}
        try:
            with self._lock:
                result = handler(params)
        except SlackApiError as exc:
            return exc.status, {"ok": False, "error": exc.error, **exc.extra}, {}
        return 200, {"ok": True, **result}, {}

    def _check_token(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> str | None:
        if not self.require_token:
            return None
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else str(params.get("token") or "")
        if not token:
            return "not_authed"
        wanted = "xapp-" if method == "apps.connections.open" else "xoxb-"
        if token.startswith(wanted):
            return None
        if token.startswith(("xoxb-", "xoxp-", "xapp-")):
            return "not_allowed_token_type"
        return "invalid_auth"

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "api.test": lambda p: {"args": p},
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "conversations.members": self._conversations_members,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.delete": self._files_delete,
        }

    # -- validation helpers -----------------------------------------------------------------------
    def _channel_for_post(self, params: dict[str, Any], key: str = "channel") -> str:
        channel = params.get(key)
        if not channel:
            raise SlackApiError("channel_not_found")
        channel = str(channel)
        if channel[0] in "UWD":  # a DM with the bot: always allowed
            return self._dm_channel(channel)
        ch = self._channels.get(channel)
        if ch is None:
            raise SlackApiError("channel_not_found")
        if ch.is_archived:
            raise SlackApiError("is_archived")
        if self.bot_user_id not in ch.members:
            raise SlackApiError("not_in_channel")
        return channel

    @staticmethod
    def _dm_channel(channel: str) -> str:
        return channel if channel.startswith("D") else "D" + channel[1:]

    def _check_message_content(self, params: dict[str, Any], *, require_content: bool = True) -> Any:
        """Validates text/blocks like chat.postMessage; returns the parsed blocks (or None)."""
        text = params.get("text")
        blocks: Any = None
        if params.get("blocks") not in (None, "", []):
            try:
                blocks = parse_json_field(params["blocks"])
            except BlockKitError as exc:
                raise SlackApiError("invalid_blocks", errors=[str(exc)]) from exc
        attachments = params.get("attachments")
        if require_content and not text and not blocks and not attachments:
            raise SlackApiError("no_text")
        if isinstance(text, str) and len(text) > LIMITS["message.text"]:
            raise SlackApiError("msg_too_long")
        if blocks is not None:
            errors = validate_blocks(blocks, "message", action_id_scope=self.action_id_scope)
            if errors:
                raise SlackApiError(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
        return blocks

    def _parse_view(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            view = parse_json_field(params.get("view"))
        except BlockKitError as exc:
            raise SlackApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {exc}"]}) from exc
        if not isinstance(view, dict):
            raise SlackApiError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: view"]}
            )
        errors = validate_view(view, action_id_scope=self.action_id_scope)
        if errors:
            raise SlackApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
        return view

    def _use_trigger(self, params: dict[str, Any]) -> None:
        trigger = params.get("trigger_id")
        if not trigger:
            raise SlackApiError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: trigger_id"]}
            )
        if trigger in self._used_triggers:
            raise SlackApiError("exchanged_trigger_id")
        self._used_triggers.add(str(trigger))

    def _bot_message(self, text: str, ts: str, blocks: Any, thread_ts: str | None) -> dict[str, Any]:
        return payloads.bot_message(
            text or "",
            ts,
            blocks=blocks or [],
            thread_ts=thread_ts,
            bot_user_id=self.bot_user_id,
            bot_id=self.bot_id,
            app_id=self.app_id,
            team_id=self.team_id,
        )

    # -- methods ----------------------------------------------------------------------------------
    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": "SOAP War Room",
            "user": "soap-war-room",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for_post(params)
        blocks = self._check_message_content(params)
        thread_ts = params.get("thread_ts") or None
        ts = self._next_ts()
        message = self._bot_message(str(params.get("text") or ""), ts, blocks, thread_ts)
        if "metadata" in params:
            message["metadata"] = self._metadata(params["metadata"])
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    @staticmethod
    def _metadata(value: Any) -> dict[str, Any]:
        """Message metadata as Slack takes it: an `event_type` (letters, digits, underscores) and an
        `event_payload` object."""
        try:
            metadata = parse_json_field(value)
        except BlockKitError as exc:
            raise SlackApiError("invalid_metadata_format") from exc
        if not isinstance(metadata, dict) or not isinstance(metadata.get("event_payload"), dict):
            raise SlackApiError("invalid_metadata_format")
        event_type = metadata.get("event_type")
        if not isinstance(event_type, str) or not event_type or not event_type.replace("_", "").isalnum():
            raise SlackApiError("invalid_metadata_schema")
        return {"event_type": event_type, "event_payload": metadata["event_payload"]}

    @staticmethod
    def _shown(message: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """A stored message as a history read returns it: metadata only with `include_all_metadata`."""
        shown = json.loads(json.dumps(message))
        if params.get("include_all_metadata") not in (True, "true", "1", 1):
            shown.pop("metadata", None)
        return shown

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for_post(params)
        user = params.get("user")
        if not user:
            raise SlackApiError("user_not_found")
        ch = self._channels.get(channel)
        if ch is not None and user not in ch.members:
            raise SlackApiError("user_not_in_channel")
        self._check_message_content(params)
        return {"message_ts": self._next_ts()}

    def _existing_message(self, params: dict[str, Any], ts_key: str = "ts") -> tuple[str, str, dict[str, Any]]:
        channel = params.get("channel")
        if not channel:
            raise SlackApiError("channel_not_found")
        channel = str(channel)
        if channel[0] not in "UWD" and channel not in self._channels:
            raise SlackApiError("channel_not_found")
        ts = str(params.get(ts_key) or "")
        message = self._messages.get((self._dm_channel(channel) if channel[0] in "UW" else channel, ts))
        if message is None:
            raise SlackApiError("message_not_found")
        return channel, ts, message

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts, message = self._existing_message(params)
        if message.get("user") != self.bot_user_id:
            raise SlackApiError("cant_update_message")
        blocks = self._check_message_content(params, require_content=False)
        if "text" in params:
            message["text"] = str(params.get("text") or "")
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts, message = self._existing_message(params)
        if message.get("user") != self.bot_user_id:  # a bot token deletes only the bot's own messages
            raise SlackApiError("cant_delete_message")
        self._messages.pop((channel, ts), None)
        return {"channel": channel, "ts": ts}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts, _ = self._existing_message(params, "message_ts")
        return {
            "channel": channel,
            "permalink": f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _store_view(
        self, view: dict[str, Any], *, view_id: str | None = None, root: str | None = None, previous: str | None = None
    ) -> dict[str, Any]:
        vid = view_id or self._next_id("V")
        stored = {
            "id": vid,
            "team_id": self.team_id,
            "type": view.get("type", "modal"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{self._next_id('h')[2:].lower()}",
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": previous,
            "root_view_id": root or vid,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[vid] = stored
        return stored

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        self._use_trigger(params)
        view = self._parse_view(params)
        return {"view": self._store_view(view)}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        self._use_trigger(params)
        view = self._parse_view(params)
        return {"view": self._store_view(view)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._parse_view(params)
        vid = params.get("view_id")
        external = params.get("external_id")
        target = None
        if vid:
            target = self._views.get(str(vid))
        elif external:
            target = next((v for v in self._views.values() if v.get("external_id") == external), None)
        else:
            raise SlackApiError("invalid_arguments")
        if target is None:
            raise SlackApiError("not_found")
        if params.get("hash") and params["hash"] != target["hash"]:
            raise SlackApiError("hash_conflict")
        return {"view": self._store_view(view, view_id=target["id"], root=target["root_view_id"])}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id")
        if not user_id:
            raise SlackApiError("invalid_arguments")
        view = self._parse_view(params)
        if view.get("type") != "home":
            raise SlackApiError("invalid_arguments", response_metadata={"messages": ["[ERROR] must be home"]})
        return {"view": self._store_view(view, view_id=self._home_view_id(str(user_id)))}

    def _paginate(self, items: list[Any], params: dict[str, Any], prefix: str) -> tuple[list[Any], str]:
        try:
            limit = int(params.get("limit") or 100)
        except ValueError as exc:
            raise SlackApiError("invalid_limit") from exc
        limit = max(1, min(limit, 1000))
        cursor = params.get("cursor") or ""
        start = 0
        if cursor:
            try:
                start = int(base64.b64decode(str(cursor)).decode().split(":", 1)[1])
            except (ValueError, IndexError, binascii.Error) as exc:
                raise SlackApiError("invalid_cursor") from exc
        page = items[start : start + limit]
        nxt = start + limit
        next_cursor = base64.b64encode(f"{prefix}:{nxt}".encode()).decode() if nxt < len(items) else ""
        return page, next_cursor

    def _conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        ch = self._channels.get(str(params.get("channel") or ""))
        if ch is None or (ch.is_private and self.bot_user_id not in ch.members):
            raise SlackApiError("channel_not_found")
        page, next_cursor = self._paginate(ch.members, params, "user")
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent first, then the replies, oldest first (Slack's order), paginated."""
        channel = str(params.get("channel") or "")
        ch = self._channels.get(channel)
        if ch is None or (ch.is_private and self.bot_user_id not in ch.members):
            raise SlackApiError("channel_not_found")
        ts = str(params.get("ts") or "")
        if not ts:
            raise SlackApiError("invalid_arguments")
        parent = self._messages.get((channel, ts))
        if parent is None:
            raise SlackApiError("thread_not_found")
        root = str(parent.get("thread_ts") or ts)
        thread = sorted(
            (m for (c, t), m in self._messages.items() if c == channel and (t == root or m.get("thread_ts") == root)),
            key=lambda m: float(m["ts"]),
        )
        page, next_cursor = self._paginate([self._shown(m, params) for m in thread], params, "thread")
        return {"messages": page, "has_more": bool(next_cursor), "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """A channel's messages, newest first, without thread replies (Slack's order), paginated."""
        channel = str(params.get("channel") or "")
        ch = self._channels.get(channel)
        if ch is None or (ch.is_private and self.bot_user_id not in ch.members):
            raise SlackApiError("channel_not_found")
        if self.bot_user_id not in ch.members:
            raise SlackApiError("not_in_channel")
        top = sorted(
            (m for (c, t), m in self._messages.items() if c == channel and m.get("thread_ts") in (None, t)),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        page, next_cursor = self._paginate([self._shown(m, params) for m in top], params, "history")
        return {"messages": page, "has_more": bool(next_cursor), "pin_count": 0,
                "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        ch = self._channels.get(str(params.get("channel") or ""))
        if ch is None or (ch.is_private and self.bot_user_id not in ch.members):
            raise SlackApiError("channel_not_found")
        info: dict[str, Any] = {
            "id": ch.id,
            "name": ch.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": ch.is_private,
            "created": ch.created,
            "is_archived": ch.is_archived,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": ch.name,
            "is_shared": bool(ch.shared_with),
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": self.team_id,
            "updated": ch.created * 1000,
            "parent_conversation": None,
            "creator": next((m for m in ch.members if m != self.bot_user_id), self.bot_user_id),
            "is_ext_shared": bool(ch.shared_with),
            "shared_team_ids": [self.team_id, *ch.shared_with],
            "pending_connected_team_ids": [],
            "is_member": self.bot_user_id in ch.members,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }
        if params.get("include_num_members") in (True, "true", "1", 1):
            info["num_members"] = len(ch.members)
        return {"channel": info}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users") or "")
        if not users:
            raise SlackApiError("users_list_not_supplied")
        first = users.split(",")[0]
        if first not in self._users:
            raise SlackApiError("user_not_found")
        return {"channel": {"id": self._dm_channel(first)}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user") or ""))
        if user is None:
            raise SlackApiError("user_not_found")
        return {"user": user}

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        page, next_cursor = self._paginate(list(self._users.values()), params, "users")
        return {"members": page, "cache_ts": int(time.time()), "response_metadata": {"next_cursor": next_cursor}}

    def _files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        length = params.get("length")
        if not filename or length in (None, ""):
            raise SlackApiError("invalid_arguments")
        try:
            size = int(length)
        except ValueError as exc:
            raise SlackApiError("invalid_arguments") from exc
        file_id = self._next_id("F")
        self._uploads[file_id] = UploadedFile(file_id, str(filename), size)
        return {"upload_url": f"{self.root_url}/upload/v1/{file_id}", "file_id": file_id}

    def _file_upload_post(self, path: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        file_id = path.rsplit("/", 1)[-1]
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return 404, "not_found", {}
            upload.content = body
        return 200, f"OK - {len(body)}", {}

    def _files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            files = parse_json_field(params.get("files"))
        except BlockKitError as exc:
            raise SlackApiError("invalid_arguments") from exc
        if not isinstance(files, list) or not files:
            raise SlackApiError("invalid_arguments")
        channel_id = params.get("channel_id") or None
        if channel_id is None and params.get("channels"):
            channel_id = str(params["channels"]).split(",")[0]
        if channel_id is not None:
            channel_id = self._channel_for_post({"channel": channel_id})
        out = []
        for entry in files:
            upload = self._uploads.get(str(entry.get("id")))
            if upload is None or upload.content is None:
                raise SlackApiError("file_not_found")
            upload.title = entry.get("title") or upload.filename
            upload.channel_id = channel_id
            upload.initial_comment = params.get("initial_comment")
            upload.thread_ts = params.get("thread_ts")
            upload.completed = True
            out.append(
                {
                    "id": upload.file_id,
                    "created": int(time.time()),
                    "timestamp": int(time.time()),
                    "name": upload.filename,
                    "title": upload.title,
                    "mimetype": "text/csv" if upload.filename.endswith(".csv") else "application/octet-stream",
                    "filetype": upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "binary",
                    "user": self.bot_user_id,
                    "user_team": self.team_id,
                    "editable": False,
                    "size": len(upload.content),
                    "mode": "hosted",
                    "is_external": False,
                    "external_type": "",
                    "is_public": False,
                    "public_url_shared": False,
                    "display_as_bot": False,
                    "url_private": f"https://files.slack.com/files-pri/{self.team_id}-{upload.file_id}/{upload.filename}",
                    "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{upload.file_id}",
                    "channels": [],
                    "groups": [channel_id] if channel_id else [],
                    "ims": [],
                    "comments_count": 0,
                }
            )
        return {"files": out}

    def _files_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file") or "")
        if not file_id:
            raise SlackApiError("invalid_arguments")
        upload = self._uploads.get(file_id)
        if upload is None:
            if file_id in self._shared_files:  # a person's file: a bot token cannot delete it
                raise SlackApiError("cant_delete_file")
            raise SlackApiError("file_not_found")
        if upload.deleted:
            raise SlackApiError("file_deleted")
        upload.deleted = True
        upload.content = None
        return {}

    # -- response_url -----------------------------------------------------------------------------
    def _response_url_post(self, path: str, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        key = path.rsplit("/", 1)[-1]
        with self._lock:
            uses = self._response_url_uses.get(key, 0) + 1
            self._response_url_uses[key] = uses
        if uses > RESPONSE_URL_MAX_USES:
            return 404, "used_url", {}
        if "_invalid_json_body" in params:
            return 400, "invalid_payload", {}
        try:
            self._check_message_content(params, require_content=not params.get("delete_original"))
        except SlackApiError as exc:
            return 400, exc.error, {}
        return 200, "ok", {}


__all__ = [
    "FILE_DOWNLOAD_METHOD",
    "FILE_UPLOAD_METHOD",
    "LIMITS",
    "RESPONSE_URL_METHOD",
    "LocalWebApi",
    "RecordedCall",
    "UploadedFile",
]
