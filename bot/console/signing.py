"""Requests to the app signed exactly as Slack signs them.

Slack's scheme (docs.slack.dev "Verifying requests from Slack"): ``X-Slack-Request-Timestamp``
is the Unix time; ``X-Slack-Signature`` is ``"v0=" + hex(HMAC-SHA256(signing_secret,
f"v0:{timestamp}:{raw_body}"))``. Slash commands and interactivity are
``application/x-www-form-urlencoded`` (interactivity as a single ``payload=<json>`` field);
Events API callbacks are ``application/json``. Redeliveries carry ``X-Slack-Retry-Num`` and
``X-Slack-Retry-Reason``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from bot.console.payloads import (
    APP_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    app_home_opened_event,
    block_actions_payload,
    bot_message_event,
    checkboxes,
    datepicker,
    event_callback_payload,
    message_changed_event,
    message_deleted_event,
    message_event,
    multi_static_select,
    multi_users_select,
    number_input,
    radio_buttons,
    slash_command_payload,
    state_values,
    static_select,
    text_input,
    users_select,
    view_submission_payload,
)

__all__ = [
    "SimResponse",
    "SlackClientSim",
    "app_home_opened_event",
    "block_actions_payload",
    "bot_message_event",
    "checkboxes",
    "datepicker",
    "event_callback_payload",
    "message_changed_event",
    "message_deleted_event",
    "message_event",
    "multi_static_select",
    "multi_users_select",
    "number_input",
    "radio_buttons",
    "sign",
    "slash_command_payload",
    "state_values",
    "static_select",
    "text_input",
    "users_select",
    "view_submission_payload",
]


def sign(body: bytes | str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two signature headers Slack sends with ``body``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = b"v0:" + str(ts).encode() + b":" + raw
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


class SimResponse(tuple):
    """``(status, body, elapsed)``; ``body`` is parsed JSON when the app answered JSON, else text.

    Unpacks as a 3-tuple; ``.headers`` holds the response headers (lower-cased names).
    """

    headers: dict[str, str]

    def __new__(cls, status: int, body: Any, elapsed: float, headers: dict[str, str]) -> SimResponse:
        obj = super().__new__(cls, (status, body, elapsed))
        obj.headers = headers
        return obj

    def __repr__(self) -> str:
        return f"SimResponse(status={self.status}, body={self.body!r}, elapsed={self.elapsed:.3f})"

    @property
    def status(self) -> int:
        return int(self[0])

    @property
    def body(self) -> Any:
        return self[1]

    @property
    def elapsed(self) -> float:
        return float(self[2])


class SlackClientSim:
    """Sends the app what Slack would send, signed, to ``{app_url}/slack/events``.

    Thread-safe: holds no per-request state. Pass ``standin`` (a ``LocalWebApi``) so the
    ``response_url`` of commands and clicks points at the stand-in, which records the posts.
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        team_id: str = TEAM_ID,
        *,
        team_domain: str = TEAM_DOMAIN,
        api_app_id: str = APP_ID,
        bot_user_id: str = BOT_USER_ID,
        verification_token: str = VERIFICATION_TOKEN,
        standin: Any | None = None,
        path: str = "/slack/events",
        timeout: float = 10.0,
    ) -> None:
        self.app_url = app_url.rstrip("/")
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.verification_token = verification_token
        self.standin = standin
        self.path = path
        self.timeout = timeout

    # -- transport ------------------------------------------------------------------------------
    def raw_post(
        self,
        body: bytes | str,
        headers: Mapping[str, str] | None = None,
        *,
        path: str | None = None,
        method: str = "POST",
    ) -> SimResponse:
        """POST ``body`` with exactly ``headers`` (no signature added): for adversarial tests."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        parts = urlsplit(self.app_url + (path if path is not None else self.path))
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        started = time.monotonic()
        try:
            conn.request(method, target, body=raw, headers=dict(headers or {}))
            resp = conn.getresponse()
            data = resp.read()
            elapsed = time.monotonic() - started
            resp_headers = {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()
        text = data.decode("utf-8", errors="replace")
        parsed: Any = text
        if "json" in resp_headers.get("content-type", "") and text:
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
        return SimResponse(resp.status, parsed, elapsed, resp_headers)

    def signed_post(
        self,
        body: bytes | str,
        content_type: str,
        *,
        timestamp: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> SimResponse:
        headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        headers.update(sign(body, self.signing_secret, timestamp))
        headers.update(extra_headers or {})
        return self.raw_post(body, headers)

    def post_form(self, fields: Mapping[str, str], **kw: Any) -> SimResponse:
        return self.signed_post(urlencode(fields), "application/x-www-form-urlencoded", **kw)

    def post_interactive(self, payload: Mapping[str, Any], **kw: Any) -> SimResponse:
        return self.post_form({"payload": json.dumps(payload, separators=(",", ":"))}, **kw)

    def post_json(self, payload: Mapping[str, Any], **kw: Any) -> SimResponse:
        return self.signed_post(json.dumps(payload), "application/json", **kw)

    def _response_url(self, response_url: str | None, key: str) -> str | None:
        if response_url is not None:
            return response_url
        if self.standin is not None:
            return str(self.standin.response_url(key))
        return None

    def _common(self) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
        }

    # -- what Slack sends -----------------------------------------------------------------------
    def command(
        self,
        text: str,
        user_id: str,
        channel_id: str,
        command: str = "/soap",
        trigger_id: str | None = None,
        response_url: str | None = None,
        *,
        response_url_key: str | None = None,
        timestamp: int | None = None,
        **fields: Any,
    ) -> SimResponse:
        """A slash command. ``response_url_key`` names the stand-in response_url (default: the trigger)."""
        payload = self.command_payload(
            text, user_id, channel_id, command, trigger_id, response_url, response_url_key=response_url_key, **fields
        )
        return self.post_form(payload, timestamp=timestamp)

    def command_payload(
        self,
        text: str,
        user_id: str,
        channel_id: str,
        command: str = "/soap",
        trigger_id: str | None = None,
        response_url: str | None = None,
        *,
        response_url_key: str | None = None,
        **fields: Any,
    ) -> dict[str, str]:
        payload = slash_command_payload(
            text, user_id, channel_id, command=command, trigger_id=trigger_id, **self._common(), **fields
        )
        key = response_url_key or f"cmd-{payload['trigger_id']}"
        payload["response_url"] = self._response_url(response_url, key) or payload["response_url"]
        return payload

    def block_action(
        self,
        user_id: str,
        channel_id: str,
        action_id: str,
        value: str | None = None,
        block_id: str = "actions",
        message_ts: str | None = None,
        thread_ts: str | None = None,
        *,
        response_url: str | None = None,
        response_url_key: str | None = None,
        timestamp: int | None = None,
        **extras: Any,
    ) -> SimResponse:
        """A ``block_actions`` click. ``extras`` go to ``payloads.block_actions_payload``
        (``message=``, ``is_ephemeral=``, ``container_extras=``, ``view=``, ``action_type=`` ...)."""
        payload = self.block_action_payload(
            user_id,
            channel_id,
            action_id,
            value,
            block_id,
            message_ts,
            thread_ts,
            response_url=response_url,
            response_url_key=response_url_key,
            **extras,
        )
        return self.post_interactive(payload, timestamp=timestamp)

    def block_action_payload(
        self,
        user_id: str,
        channel_id: str,
        action_id: str,
        value: str | None = None,
        block_id: str = "actions",
        message_ts: str | None = None,
        thread_ts: str | None = None,
        *,
        response_url: str | None = None,
        response_url_key: str | None = None,
        **extras: Any,
    ) -> dict[str, Any]:
        common = self._common()
        payload = block_actions_payload(
            user_id,
            channel_id,
            action_id,
            value,
            block_id=block_id,
            message_ts=message_ts,
            thread_ts=thread_ts,
            **common,
            **extras,
        )
        if "response_url" in payload:
            key = response_url_key or f"action-{payload['trigger_id']}"
            payload["response_url"] = self._response_url(response_url, key) or payload["response_url"]
        return payload

    def view_submission(
        self,
        user_id: str,
        callback_id: str,
        state_values: Mapping[str, Mapping[str, Any]],
        private_metadata: str = "",
        *,
        timestamp: int | None = None,
        **extras: Any,
    ) -> SimResponse:
        """A modal submission; ``state_values`` is ``view.state.values`` (see ``payloads.state_values``)."""
        payload = self.view_submission_payload(user_id, callback_id, state_values, private_metadata, **extras)
        return self.post_interactive(payload, timestamp=timestamp)

    def view_submission_payload(
        self,
        user_id: str,
        callback_id: str,
        state_values: Mapping[str, Mapping[str, Any]],
        private_metadata: str = "",
        **extras: Any,
    ) -> dict[str, Any]:
        common = self._common()
        return view_submission_payload(user_id, callback_id, state_values, private_metadata, **common, **extras)

    def event(
        self,
        event: Mapping[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        *,
        timestamp: int | None = None,
        event_time: int | None = None,
    ) -> SimResponse:
        """An Events API ``event_callback``; ``retry_num``/``retry_reason`` mimic Slack's redelivery."""
        payload = self.event_payload(event, event_id, event_time=event_time)
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra["X-Slack-Retry-Num"] = str(retry_num)
            extra["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        elif retry_reason is not None:
            extra["X-Slack-Retry-Reason"] = retry_reason
        return self.post_json(payload, timestamp=timestamp, extra_headers=extra)

    def event_payload(
        self, event: Mapping[str, Any], event_id: str | None = None, *, event_time: int | None = None
    ) -> dict[str, Any]:
        return event_callback_payload(
            event,
            event_id=event_id,
            event_time=event_time,
            team_id=self.team_id,
            api_app_id=self.api_app_id,
            bot_user_id=self.bot_user_id,
            token=self.verification_token,
        )

    def url_verification(self, challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") -> SimResponse:
        return self.post_json({"token": self.verification_token, "challenge": challenge, "type": "url_verification"})

    # Payload factories, also reachable from the client for convenience.
    message_event = staticmethod(message_event)
    message_changed_event = staticmethod(message_changed_event)
    message_deleted_event = staticmethod(message_deleted_event)
    bot_message_event = staticmethod(bot_message_event)
    app_home_opened_event = staticmethod(app_home_opened_event)
    state_values = staticmethod(state_values)
    text_input = staticmethod(text_input)
    static_select = staticmethod(static_select)
    users_select = staticmethod(users_select)
