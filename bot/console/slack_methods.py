"""The Slack Web API methods the console's local Web API answers (chat, views, conversations, users,
files, response_url), with Slack's response shapes and refusals; ``LocalWebApi`` serves them on
loopback and holds the workspace they read and change."""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.console import payloads
from bot.console.blockkit import LIMITS, BlockKitError, parse_json_field, validate_blocks, validate_view

RESPONSE_URL_MAX_USES = 5  # Slack: a response_url works up to 5 times within 30 minutes


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
class Channel:
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


class SlackMethods:
    """Slack's Web API methods over the workspace ``LocalWebApi`` keeps (mixed into it)."""

    # What LocalWebApi sets up in its __init__.
    team_id: str
    team_domain: str
    bot_user_id: str
    bot_id: str
    app_id: str
    action_id_scope: Literal["block", "message"]
    _lock: threading.RLock
    _channels: dict[str, Channel]
    _users: dict[str, dict[str, Any]]
    _messages: dict[tuple[str, str], dict[str, Any]]
    _views: dict[str, dict[str, Any]]
    _used_triggers: set[str]
    _uploads: dict[str, UploadedFile]
    _response_url_uses: dict[str, int]
    _shared_files: dict[str, bytes]
    _ts_counter: int
    _id_counter: int

    @property
    def root_url(self) -> str:
        raise NotImplementedError

    @staticmethod
    def _home_view_id(user_id: str) -> str:
        return f"VHOME{user_id[1:]}"


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
