"""What the console shows: what the app did (the Web API calls it made, recorded by the local Web
API), rendered as numbered messages and buttons, and the lines the person types, echoed so a
script's output reads as a transcript."""

from __future__ import annotations

import difflib
import logging
import re
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from bot.console.rendering import Control, Renderer, _text_of, mrkdwn_to_text
from bot.console.signing import SimResponse
from bot.console.web_api import RESPONSE_URL_METHOD, RecordedCall
from bot.console.workspace import (
    ChannelInfo,
    LocalWorkspace,
    Member,
)

log = logging.getLogger(__name__)


class ConsoleExit(Exception):
    """The person ended the session (quit, or the end of the script)."""


@dataclass
class Origin:
    """Who a response_url belongs to, and which message it answers."""

    user_id: str
    channel: str
    message_ts: str | None = None
    ephemeral: bool = False



class ErrorCollector(logging.Handler):
    """Keeps the app's ERROR log lines so the console can say, next to the output, that one happened.

    Log lines carry ids and counts only (bot.logs redacts payload text), so showing them is safe.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self._lock_errors = threading.Lock()
        self._errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        from bot.logs import redact

        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        text = redact(record.getMessage())
        with self._lock_errors:
            self._errors.append(f"{text}{f' ({kind})' if kind and kind not in text else ''}")

    def drain(self) -> list[str]:
        with self._lock_errors:
            errors, self._errors = self._errors, []
        return errors


ERRORS = ErrorCollector()



@dataclass
class Transcript:
    """The session's state, what it says, and what the app did, rendered (a `Console` is one)."""

    workspace: LocalWorkspace
    channel: ChannelInfo
    members: list[Member]
    current: Member
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    interactive: bool = False
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/New_York"))
    files_dir: Path = field(default_factory=lambda: Path.cwd() / "var" / "console-files")

    def __post_init__(self) -> None:
        self._cursor = 0
        self._controls: dict[int, Control] = {}
        self._control_numbers: dict[tuple[str, ...], int] = {}
        self._rendered: dict[tuple[str, str], list[str]] = {}
        self._message_numbers: dict[tuple[str, str], int] = {}
        self._messages: dict[int, tuple[str, str]] = {}
        self._origins: dict[str, Origin] = {}
        self._modals: list[dict[str, Any]] = []
        self._print_lock = threading.RLock()
        self._busy = threading.Lock()
        self._stop = threading.Event()
        self._keys = 0
        self._ephemeral_ts = 0
        self._home_open = False  # the person is looking at their App Home: what the app publishes is drawn

    # -- output ----------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        with self._print_lock:
            self.stdout.write(text + "\n")
            self.stdout.flush()

    def name_of(self, user_id: str) -> str:
        member = next((m for m in self.members if m.user_id == user_id), None)
        if member is not None:
            return member.real_name
        if user_id == self.workspace.standin.bot_user_id:
            return "SOAP War Room"
        return user_id

    @property
    def prompt(self) -> str:
        return f"{self.current.real_name} › "

    # -- numbering --------------------------------------------------------------------------------
    def _number_message(self, channel: str, ts: str) -> int:
        key = (channel, ts)
        if key not in self._message_numbers:
            number = len(self._messages) + 1
            self._message_numbers[key] = number
            self._messages[number] = key
        return self._message_numbers[key]

    def _renderer(self, channel: str, message_ts: str | None = None, thread_ts: str | None = None,
                  ephemeral: bool = False, view: dict[str, Any] | None = None) -> Renderer:
        def register(element: dict[str, Any], block_id: str) -> int:
            # The same button of the same message keeps its number when the message is updated.
            key = (channel, message_ts or "", block_id, str(element.get("action_id") or ""),
                   str(element.get("value") or ""), _text_of(element.get("text")))
            number = self._control_numbers.get(key) if message_ts and view is None else None
            if number is None:
                number = len(self._controls) + 1
                if message_ts and view is None:
                    self._control_numbers[key] = number
            self._controls[number] = Control(number, element, block_id, channel, message_ts, thread_ts,
                                             ephemeral, view)
            return number

        return Renderer(self.name_of, register)

    def _block(self, header: str, lines: list[str], indent: str = "") -> None:
        with self._print_lock:
            self.say(indent + header)
            for line in lines:
                self.say(f"{indent}    {line}".rstrip())
            self.say()

    # -- rendering what the app did -----------------------------------------------------------------
    def render_new(self) -> None:
        calls = self.workspace.standin.calls
        new, self._cursor = calls[self._cursor:], len(calls)
        for call in new:
            try:
                self._render_call(call)
            except Exception as error:  # a rendering bug must not end the session
                log.exception("could not render %s", call.method)
                self.say(f"(the console could not show a {call.method} call: {type(error).__name__})")
        for logged in ERRORS.drain():
            self.say(f"⚠ the app logged an error: {logged} (details in var/console.log)")
            self.say()

    def _render_call(self, call: RecordedCall) -> None:
        method, params = call.method, call.params
        if method == RESPONSE_URL_METHOD:
            self._render_response_url(call)
            return
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update", "chat.delete", "views.open",
                      "views.push", "views.update", "views.publish", "files.completeUploadExternal",
                      "chat.scheduleMessage") and not call.ok:
            error = call.response.get("error") if isinstance(call.response, dict) else call.status
            details = ""
            if isinstance(call.response, dict):
                messages = (call.response.get("response_metadata") or {}).get("messages") or call.response.get(
                    "errors") or []
                details = "; ".join(str(m) for m in messages[:3])
            self.say(f"⚠ Slack would refuse {method}: {error}{(' — ' + details) if details else ''}")
            self.say()
            return
        if method == "chat.postMessage":
            message = call.response["message"]
            channel = str(call.response["channel"])
            ts = str(call.response["ts"])
            where = self._where(channel)
            thread_ts = message.get("thread_ts")
            renderer = self._renderer(channel, ts, thread_ts)
            lines = renderer.blocks(message.get("blocks") or [], str(message.get("text") or ""))
            self._rendered[(channel, ts)] = lines
            if thread_ts:
                parent = self._number_message(channel, str(thread_ts))
                self._block(f"↳ reply in the thread of message {parent} · SOAP War Room", lines, indent="  ")
            else:
                number = self._number_message(channel, ts)
                self._block(f"{where} · SOAP War Room · message {number}", lines)
        elif method == "chat.update":
            channel, ts = str(call.response["channel"]), str(call.response["ts"])
            message = call.response["message"]
            renderer = self._renderer(channel, ts, message.get("thread_ts"))
            lines = renderer.blocks(message.get("blocks") or [], str(message.get("text") or ""))
            self._show_update(channel, ts, lines)
        elif method == "chat.delete":
            channel, ts = str(call.response["channel"]), str(call.response["ts"])
            deleted = self._message_numbers.get((channel, ts))
            self.say(f"✖ SOAP War Room deleted message {deleted if deleted else ts}")
            self.say()
        elif method == "chat.postEphemeral":
            channel = str(params.get("channel"))
            user = str(params.get("user"))
            blocks = _json(params.get("blocks")) or []
            self._ephemeral_ts += 1
            renderer = self._renderer(channel, f"9{self._ephemeral_ts:09d}.000000", params.get("thread_ts"),
                                      ephemeral=True)
            lines = renderer.blocks(blocks, str(params.get("text") or ""))
            self._block(f"{self._only_visible(user)} · SOAP War Room", lines)
        elif method in ("views.open", "views.push"):
            self._modals.append(call.response["view"])
        elif method == "views.update":
            view = call.response["view"]
            self._modals = [v for v in self._modals if v.get("id") != view.get("id")] + [view]
        elif method == "views.publish":
            user = str(params.get("user_id"))
            view = call.response["view"]
            if user == self.current.user_id and self._home_open:
                self._draw_home(view)
            else:
                self.say(f"(the app updated the App Home of {self.name_of(user)}; `home` shows yours)")
                self.say()
        elif method == "files.completeUploadExternal":
            self._render_files(call)

    def _show_update(self, channel: str, ts: str, lines: list[str]) -> None:
        """An updated message: only the lines that changed (`thread <n>` shows it whole)."""
        number = self._number_message(channel, ts)
        before = self._rendered.get((channel, ts))
        self._rendered[(channel, ts)] = lines
        if before is None:
            self._block(f"✎ message {number} was updated · SOAP War Room", lines)
            return
        changed = [line for line in difflib.ndiff(before, lines) if line[:2] in ("- ", "+ ")]
        if not changed:
            self._block(f"✎ message {number} was updated · SOAP War Room (no visible change)", [])
            return
        self._block(f"✎ message {number} was updated · SOAP War Room (changed lines; `thread {number}` "
                    "shows it whole)", changed)

    def _where(self, channel: str) -> str:
        if channel == self.channel.channel_id:
            return f"#{self.channel.name}"
        if channel.startswith("D"):
            return "direct message"
        return f"#{channel}"

    def _only_visible(self, user_id: str) -> str:
        if user_id == self.current.user_id:
            return "(only visible to you)"
        return f"(only visible to {self.name_of(user_id)})"

    def _render_response_url(self, call: RecordedCall) -> None:
        if call.status != 200:
            self.say(f"⚠ Slack would refuse the response: {call.response}")
            self.say()
            return
        params = call.params
        key = call.path.rsplit("/", 1)[-1]
        origin = self._origins.get(key, Origin(self.current.user_id, self.channel.channel_id))
        if params.get("delete_original"):
            number = self._message_numbers.get((origin.channel, origin.message_ts or ""))
            what = f"message {number}" if number and not origin.ephemeral else "the message you clicked"
            self.say(f"✖ SOAP War Room removed {what}")
            self.say()
            return
        blocks = _json(params.get("blocks")) or []
        text = str(params.get("text") or "")
        replace = params.get("replace_original") in (True, "true")
        in_channel = params.get("response_type") == "in_channel"
        if replace and origin.message_ts and not origin.ephemeral:
            renderer = self._renderer(origin.channel, origin.message_ts)
            self._show_update(origin.channel, origin.message_ts, renderer.blocks(blocks, text))
            return
        self._ephemeral_ts += 1
        ts = origin.message_ts if (replace and origin.message_ts) else f"9{self._ephemeral_ts:09d}.000000"
        renderer = self._renderer(origin.channel, ts, ephemeral=not in_channel)
        lines = renderer.blocks(blocks, text)
        if in_channel:
            self._block(f"{self._where(origin.channel)} · SOAP War Room (answer to /soap)", lines)
        elif replace:
            self._block(f"✎ {self._only_visible(origin.user_id)} · SOAP War Room replaced its answer", lines)
        else:
            self._block(f"{self._only_visible(origin.user_id)} · SOAP War Room", lines)

    def _render_files(self, call: RecordedCall) -> None:
        files = _json(call.params.get("files")) or []
        uploads = {u.file_id: u for u in self.workspace.standin.uploads}
        for entry in files:
            upload = uploads.get(str(entry.get("id")))
            if upload is None:
                continue
            where = self._where(upload.channel_id) if upload.channel_id else "nowhere"
            thread = ""
            if upload.thread_ts and upload.channel_id:
                thread = f", in the thread of message {self._number_message(upload.channel_id, upload.thread_ts)}"
            saved = self._save_file(upload.filename, upload.content or b"")
            lines = []
            if upload.initial_comment:
                lines.extend(mrkdwn_to_text(upload.initial_comment, self.name_of).splitlines())
            lines.append(f"📎 {upload.filename} ({len(upload.content or b'')} bytes), saved as {saved}")
            text = upload.text
            if text and "\x00" not in text:
                shown = text.splitlines()
                lines.extend("  | " + line for line in shown[:12])
                if len(shown) > 12:
                    lines.append(f"  | … {len(shown) - 12} more lines")
            self._block(f"{where} · SOAP War Room uploaded a file{thread}", lines)

    def _save_file(self, filename: str, content: bytes) -> str:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename).name) or "file"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        target = self.files_dir / safe
        target.write_bytes(content)
        try:
            return str(target.relative_to(Path.cwd()))
        except ValueError:
            return str(target)

    # -- input -----------------------------------------------------------------------------------------
    def read_line(self, prompt: str) -> str:
        if self.interactive:
            try:
                return input(prompt)
            except EOFError:
                raise ConsoleExit from None
        line = self.stdin.readline()
        if not line:
            raise ConsoleExit
        line = line.rstrip("\r\n")
        if line.lstrip().startswith("#") and prompt == self.prompt:
            self.say(line)  # a comment in the script, kept so the transcript reads like it
        else:
            shown = line if len(line) <= 200 else f"{line[:60]}… ({len(line)} characters)"
            self.say(f"{prompt}{shown}".rstrip())
        return line

    def _fmt(self, moment: datetime) -> str:
        return moment.astimezone(self.timezone).strftime("%a %d %b %Y %H:%M %Z")

    def _show_http_problem(self, response: SimResponse) -> None:
        if response.status != 200:
            self.say(f"⚠ the app answered HTTP {response.status}; Slack would show the person an error")
            self.say()

    def _show_ack_body(self, response: SimResponse, key: str) -> None:
        """A slash command acked with a message (`ack(text=…)`) shows it to the typist."""
        body = response.body
        if isinstance(body, dict) and (body.get("text") or body.get("blocks")):
            renderer = self._renderer(self.channel.channel_id, ephemeral=True)
            lines = renderer.blocks(body.get("blocks") or [], str(body.get("text") or ""))
            self._block(f"{self._only_visible(self.current.user_id)} · SOAP War Room", lines)
        elif isinstance(body, str) and body.strip():
            self._block(f"{self._only_visible(self.current.user_id)} · SOAP War Room", body.strip().splitlines())

    def _draw_home(self, view: dict[str, Any]) -> None:
        renderer = self._renderer(self.channel.channel_id, view=view)
        lines = renderer.blocks(view.get("blocks") or [])
        self._block(f"App Home · {self.current.real_name} (the bot's Home tab, only you see it)", lines)



def _json(value: Any) -> Any:
    if isinstance(value, str):
        import json

        try:
            return json.loads(value)
        except ValueError:
            return None
    return value
