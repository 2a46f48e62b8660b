"""The console's local Slack Web API on loopback, for ``WebClient(base_url=web_api.url)``.

It records every call, answers with Slack's response shapes (the methods are in
``bot.console.slack_methods``), and rejects what Slack rejects (Block Kit limits in
``bot.console.blockkit.LIMITS``), so the console shows a call the real Slack would refuse. Also
served here: the upload URLs that ``files.getUploadURLExternal`` hands out (step 2 of
``files_upload_v2``) and ``response_url`` endpoints for ``respond()``.

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

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlsplit

from bot.console import payloads
from bot.console.blockkit import LIMITS
from bot.console.slack_methods import (
    RESPONSE_URL_MAX_USES,
    Channel,
    SlackApiError,
    SlackMethods,
    UploadedFile,
)

RESPONSE_URL_METHOD = "response_url"
FILE_UPLOAD_METHOD = "files.upload_url"  # the POST of file bytes to the URL from getUploadURLExternal
FILE_DOWNLOAD_METHOD = "files.download"  # a GET of url_private_download (a file a person shared)


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


class LocalWebApi(SlackMethods):
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
        self._channels: dict[str, Channel] = {}
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
                ch = Channel(channel, name or channel.lower(), is_private)
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
                self._channels[channel] = Channel(channel, channel.lower(), True)
            self._set_members_locked(self._channels[channel], members, include_bot)

    def _set_members_locked(self, ch: Channel, members: Iterable[str], include_bot: bool) -> None:
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

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                json.loads(json.dumps(m)) for (ch, _), m in self._messages.items() if channel is None or ch == channel
            ]

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


__all__ = [
    "FILE_DOWNLOAD_METHOD",
    "FILE_UPLOAD_METHOD",
    "LIMITS",
    "RESPONSE_URL_MAX_USES",
    "RESPONSE_URL_METHOD",
    "LocalWebApi",
    "RecordedCall",
    "SlackApiError",
    "UploadedFile",
]
