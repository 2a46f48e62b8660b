"""The console session: a local war room in the terminal, through the real dispatch path.

`soapbot console [--as <member>] [--demo]` (and `soapbot run` with no Slack credentials) runs the
SAME Bolt app as production (`bot.app.create_app`), served the same way (`bot.web.wsgi_app` on a
loopback port, in a thread), and sends it requests signed exactly as Slack signs them
(`bot.console.signing.SlackClientSim`). The Web API (`SLACK_API_URL`) points at an in-process
local Web API (`bot.console.web_api.LocalWebApi`), which records what the app posts; the console
renders those calls as text. There is no second code path for any behaviour: whatever a feature
registers with the app shows up here.

What a person can type (see `help`):
- `/soap …`: a slash command in the war-room channel, as the current member;
- plain text: a message in the channel; `reply <n> <text>`: a reply in message n's thread;
- `press <n> [choice]`: click button n (a real `block_actions` payload); menus take a choice;
- `as <member>`: switch member; `who`: the committee; `thread <n>`: show a thread again;
- `home`: the App Home the app publishes for the current member (`app_home_opened`, then views.publish);
- `@handle` / `@Full Name` in a command or message: a mention, as the Slack client sends it;
- `wait <5m|1h|30s>`: move the console clock and run the clock's jobs (reminders); `time`;
- `share <file> [text]`: upload a file from this computer with a message (an ERAS export with
  `import`, the default text);
- modals (`views.open`) are asked field by field and submitted as a real `view_submission`;
  field errors from the app are shown and those fields asked again; `cancel` closes the modal.

Decisions (for the IT person and the developer who use it):
- Ephemeral answers (response_url with response_type ephemeral, chat.postEphemeral) are marked
  "only visible to you" (or to the member they were for).
- Every message in the channel gets a number (`message 3`), used by `reply 3 …` and `thread 3`.
  Buttons and menus are numbered across the whole session (`[7 Rank high]`), so a number shown
  earlier stays valid; pressing a button of an older version of an updated message sends the
  message as it is now, as Slack would.
- A Web API call the real Slack would refuse (invalid blocks, message too long…) is shown as a
  warning, so a developer sees it here before a workspace does.
- Clock: in a terminal, the console clock is the real time and the app's clock process runs in
  this process (`bot.clock.start_in_process`), so reminders appear while you type; `wait` moves
  the clock forward and runs the clock's jobs at once. When input is not a terminal (a script),
  the clock stands still at `--now` (default: the current time; the demo picks a fixed instant)
  and moves only with `wait`, so a transcript is the same every run. Reminders run only against
  the demo database or when no Slack credentials are configured: a console pointed at a database
  that a real deployment also uses must never take (and "send" to the stand-in) that deployment's
  reminders.
- Logs go to var/console.log, not to the screen.
- With no TTY there are no prompts and no colours: the typed line is echoed after the member's
  name, so the output reads as a transcript.
"""

from __future__ import annotations

import difflib
import logging
import mimetypes
import re
import shlex
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.console import payloads
from bot.console.demo import DEMO_START, seed_demo
from bot.console.rendering import Control, Renderer, _options, _text_of, mrkdwn_to_text
from bot.console.signing import SimResponse
from bot.console.web_api import RESPONSE_URL_METHOD, RecordedCall
from bot.console.workspace import (
    ChannelInfo,
    ConsoleClock,
    LocalWorkspace,
    Member,
    SessionPlan,
    parse_duration,
)
from bot.services import reminders
from bot.settings import Settings, load_settings

log = logging.getLogger(__name__)

LOCAL_CHANNEL = "G0LOCALWR1"
LOCAL_USER = "U0LOCALYOU"
RULE = "═" * 72

CONSOLE_HELP = """\
Console keys (everything else you type is a message in the war-room channel):
  /soap <subcommand> …   a slash command, as the current member (`/soap help` lists them)
  press <n> [choice]     press button n; for a menu, give the option's number or name
  reply <n> <text>       reply in the thread of message n (a note typed in a candidate's thread)
  thread <n>             show message n and its thread as they are now
  as <member>            act as another committee member (name, @handle or user id); `who` lists them
  home                   open the bot's App Home tab: what the app publishes for you
  wait <5m|1h|30s>       move the clock forward and run the reminder clock now; `time` shows it
  share <file> [text]    upload a file from this computer with a message (default "import": the ERAS export)
  say <text>             a plain message that starts with one of these words
  help                   this list;  quit (or Ctrl-D) ends the session
In a modal, answer each field; an empty answer keeps the default; `cancel` closes the modal.
Mention a member as `@handle` or `@Full Name` (`@eve.demoray`, `@Eve Demoray`), as Slack's autocomplete does."""


# --- the session ------------------------------------------------------------------------------------


class ConsoleExit(Exception):
    """The person ended the session (quit, or the end of the script)."""


@dataclass
class _Origin:
    """Who a response_url belongs to, and which message it answers."""

    user_id: str
    channel: str
    message_ts: str | None = None
    ephemeral: bool = False


@dataclass
class Console:
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
        self._origins: dict[str, _Origin] = {}
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
        origin = self._origins.get(key, _Origin(self.current.user_id, self.channel.channel_id))
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

    def after_request(self) -> None:
        self.workspace.settle()
        self.render_new()
        while self._modals:
            view = self._modals.pop(0)
            if view.get("type") == "modal":
                self.run_modal(view)

    def handle(self, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            return
        if stripped.startswith("#"):
            return  # a comment in a script
        word, _, rest = stripped.partition(" ")
        rest = rest.strip()
        command = word.lower()
        if stripped.startswith("/"):
            self.slash(word, rest)
        elif command in ("help", "?"):
            self.say(CONSOLE_HELP)
            self.say()
        elif command in ("quit", "exit"):
            raise ConsoleExit
        elif command == "as":
            self.switch(rest)
        elif command == "who":
            self.who()
        elif command == "home":
            self.home()
        elif command == "press":
            self.press(rest)
        elif command == "reply":
            number, _, text = rest.partition(" ")
            self.reply(number, text.strip())
        elif command == "thread":
            self.show_thread(rest)
        elif command == "wait":
            self.wait(rest)
        elif command == "time":
            self.say(f"It is {self._fmt(self.workspace.clock())} on the console clock.")
            self.say()
        elif command == "say":
            self.message(rest)
        elif command == "share":
            self.share(rest)
        else:
            self.message(stripped)

    def _fmt(self, moment: datetime) -> str:
        return moment.astimezone(self.timezone).strftime("%a %d %b %Y %H:%M %Z")

    def _new_key(self, origin: _Origin) -> str:
        self._keys += 1
        key = f"console-{self._keys}"
        self._origins[key] = origin
        return key

    def slash(self, command: str, text: str) -> None:
        if command.lower() != "/soap":
            self.say(f"Only /soap is installed in this workspace (you typed {command}).")
            self.say()
            return
        key = self._new_key(_Origin(self.current.user_id, self.channel.channel_id))
        text = with_mentions(text, self.members, labelled=True)
        response = self.workspace.sim.command(text, self.current.user_id, self.channel.channel_id,
                                              response_url_key=key, channel_name=self.channel.name,
                                              user_name=self.current.handle)
        self._show_http_problem(response)
        self._show_ack_body(response, key)
        self.after_request()

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

    def message(self, text: str) -> None:
        if not text:
            return
        event = self.workspace.standin.user_posts(self.channel.channel_id, self.current.user_id,
                                                  with_mentions(text, self.members))
        number = self._number_message(self.channel.channel_id, str(event["ts"]))
        if not self.interactive:
            self.say(f"    (message {number} in #{self.channel.name})")
            self.say()
        else:
            self.say(f"(message {number})")
        self.workspace.sim.event(event)
        self.after_request()

    def share(self, rest: str) -> None:
        """`share <file> [text]`: upload a local file into the channel, as a person does in Slack."""
        try:
            words = shlex.split(rest)
        except ValueError as error:
            words, problem = [], str(error)
        else:
            problem = "" if words else "Say which file: `share soap-export.csv` (the message says `import`)."
        path = Path(words[0]).expanduser() if words else None
        if path is not None and not path.is_file():
            problem = f"There is no file {path} on this computer."
        if problem or path is None:
            self.say(problem)
            self.say()
            return
        text = " ".join(words[1:]) or "import"
        standin = self.workspace.standin
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        file = standin.share_file(path.name, path.read_bytes(), self.current.user_id, mimetype=mimetype)
        event = standin.user_posts(self.channel.channel_id, self.current.user_id, text, files=[file])
        number = self._number_message(self.channel.channel_id, str(event["ts"]))
        self.say(f"    (message {number} in #{self.channel.name}, with {path.name})")
        self.say()
        self.workspace.sim.event(event)
        self.after_request()

    def reply(self, number_text: str, text: str) -> None:
        target = self._message(number_text)
        if target is None:
            return
        if not text:
            self.say("Say what to reply: `reply 3 Spoke with her PD: strong advocate.`")
            self.say()
            return
        channel, ts = target
        parent = self.workspace.standin.message(channel, ts)
        thread_ts = str((parent or {}).get("thread_ts") or ts)
        event = self.workspace.standin.user_posts(channel, self.current.user_id, with_mentions(text, self.members),
                                                  thread_ts=thread_ts)
        self.workspace.sim.event(event)
        self.after_request()

    def _message(self, number_text: str) -> tuple[str, str] | None:
        try:
            number = int(number_text.strip().lstrip("#"))
        except ValueError:
            number = -1
        target = self._messages.get(number)
        if target is None:
            known = f"1–{len(self._messages)}" if self._messages else "none yet"
            self.say(f"No message {number_text or '?'} (messages so far: {known}).")
            self.say()
        return target

    def show_thread(self, number_text: str) -> None:
        target = self._message(number_text)
        if target is None:
            return
        channel, ts = target
        standin = self.workspace.standin
        parent = standin.message(channel, ts)
        if parent is None:
            self.say("That message was deleted.")
            self.say()
            return
        number = self._message_numbers[target]
        author = self.name_of(str(parent.get("user") or ""))
        renderer = self._renderer(channel, ts)
        self._block(f"{self._where(channel)} · {author} · message {number}",
                    renderer.blocks((parent.get("blocks") or []) if parent.get("bot_id") else [],
                                    str(parent.get("text") or "")))
        replies = sorted((m for m in standin.messages(channel) if m.get("thread_ts") == ts and m.get("ts") != ts),
                         key=lambda m: float(m.get("ts") or 0))
        for reply in replies:
            renderer = self._renderer(channel, str(reply.get("ts")), ts)
            author = self.name_of(str(reply.get("user") or ""))
            self._block(f"↳ {author}",
                        renderer.blocks((reply.get("blocks") or []) if reply.get("bot_id") else [],
                                        str(reply.get("text") or "")), indent="  ")
        if not replies:
            self.say("  (no replies yet)")
            self.say()

    def switch(self, who: str) -> None:
        member = find_member(self.members, who)
        if member is None:
            self.say(f"No committee member {who!r}. " + "Members: " +
                     ", ".join(f"{m.real_name} ({m.handle})" for m in self.members) + ".")
            self.say()
            return
        self.current = member
        self.say(f"You are now {member.label}.")
        self.say()

    def home(self) -> None:
        """`home`: open the bot's App Home tab, as Slack does: an `app_home_opened` event, then whatever
        the app publishes for this member (views.publish) is drawn."""
        standin = self.workspace.standin
        user = self.current.user_id
        published = standin.home_view(user)
        self._home_open = True
        before = len(standin.calls)
        try:
            self.workspace.sim.event(payloads.app_home_opened_event(user, view=published))
            self.after_request()
            if not any(c.method == "views.publish" and c.params.get("user_id") == user
                       for c in standin.calls[before:]):
                view = standin.home_view(user)
                if view is None:
                    self.say("(the app published no App Home for you: Slack would show an empty Home tab)")
                    self.say()
                else:
                    self._draw_home(view)
        finally:
            self._home_open = False

    def _draw_home(self, view: dict[str, Any]) -> None:
        renderer = self._renderer(self.channel.channel_id, view=view)
        lines = renderer.blocks(view.get("blocks") or [])
        self._block(f"App Home · {self.current.real_name} (the bot's Home tab, only you see it)", lines)

    def who(self) -> None:
        self.say(f"In #{self.channel.name} (the war room):")
        for member in self.members:
            marker = "→" if member == self.current else " "
            self.say(f" {marker} {member.label}  [{member.handle}, {member.user_id}]")
        self.say("`as <name>` switches. Roles (director, member, observer) are the bot's: `/soap committee`.")
        self.say()

    def wait(self, text: str) -> None:
        try:
            delta = parse_duration(text or "")
        except ValueError as error:
            self.say(str(error).capitalize() + ".")
            self.say()
            return
        clock = self.workspace.clock
        target = clock() + delta
        self.say(f"⏱ The clock moves forward {_human(delta)}: it is now {self._fmt(target)}.")
        self.say()
        # Stop at each reminder's time on the way, as a running clock would tick through the wait,
        # so a reminder due in the middle is sent on time instead of late or missed.
        while (due := reminders.next_due_at(self.workspace.room.database, clock(), target)) is not None:
            clock.advance(due - clock())
            self.workspace.run_clock_jobs()
            self.after_request()
        clock.advance(max(target - clock(), timedelta()))
        self.workspace.run_clock_jobs()
        self.after_request()

    # -- buttons and menus --------------------------------------------------------------------------
    def press(self, text: str) -> None:
        number_text, _, choice = text.partition(" ")
        try:
            control = self._controls[int(number_text.strip().strip("[]"))]
        except (ValueError, KeyError):
            known = f"1–{len(self._controls)}" if self._controls else "none shown yet"
            self.say(f"No button {number_text or '?'} (buttons so far: {known}).")
            self.say()
            return
        element = control.element
        on_home = control.view is not None and control.view.get("type") == "home"
        if on_home:
            home = self.workspace.standin.home_view(self.current.user_id)
            if home is None or home.get("id") != (control.view or {}).get("id"):
                self.say("That button is on another member's App Home: `home` shows yours.")
                self.say()
                return
            control = Control(control.number, control.element, control.block_id, control.channel,
                              view=home)
        elif control.view is not None and not any(v.get("id") == control.view.get("id") for v in self._modals):
            self.say("That button was in a modal that is closed now.")
            self.say()
            return
        extras: dict[str, Any] = {"action_type": control.kind}
        value: str | None = element.get("value")
        if control.kind == "button":
            extras["button_text"] = _text_of(element.get("text"))
            if element.get("url"):
                self.say(f"(Slack would open {element['url']} in the browser.)")
        elif control.kind in ("static_select", "overflow", "radio_buttons"):
            option = self._choose_option(_options(element), choice.strip())
            if option is None:
                return
            value = str(option.get("value"))
            extras["selected_option"] = option
        elif control.kind in ("users_select",):
            member = find_member(self.members, choice.strip())
            if member is None:
                self.say("Say who: `press " + number_text + " <member>`.")
                self.say()
                return
            extras["action_type"] = "users_select"
            value = member.user_id
        else:
            self.say(f"The console cannot press a {control.kind} yet.")
            self.say()
            return
        confirm = element.get("confirm")
        if isinstance(confirm, dict) and not self._confirm(confirm):
            return
        if control.kind == "users_select":
            # payloads has no users_select action shape: Slack sends `selected_user`.
            extras["action_type"] = "users_select"
        origin = _Origin(self.current.user_id, control.channel, control.message_ts, control.ephemeral)
        key = self._new_key(origin)
        sim = self.workspace.sim
        if control.view is not None:
            view = dict(control.view)
            response = sim.block_action(self.current.user_id, control.channel, control.action_id, value,
                                        control.block_id, view=view, **extras)
        elif control.ephemeral:
            response = sim.block_action(self.current.user_id, control.channel, control.action_id, value,
                                        control.block_id, control.message_ts, control.thread_ts,
                                        response_url_key=key, is_ephemeral=True, **extras)
        else:
            message = self.workspace.standin.message(control.channel, control.message_ts or "")
            if message is None:
                self.say("That message was deleted.")
                self.say()
                return
            response = sim.block_action(self.current.user_id, control.channel, control.action_id, value,
                                        control.block_id, control.message_ts, control.thread_ts,
                                        response_url_key=key, message=message, **extras)
        self._show_http_problem(response)
        self._home_open = on_home  # the app answers a click on the Home tab by publishing it again
        try:
            self.after_request()
        finally:
            self._home_open = False

    def _choose_option(self, options: list[dict[str, Any]], choice: str) -> dict[str, Any] | None:
        if not options:
            self.say("That menu has no options.")
            self.say()
            return None
        while True:
            if choice:
                picked = _pick(options, choice)
                if picked is not None:
                    return picked
                self.say(f"No option {choice!r}.")
            for index, option in enumerate(options, 1):
                self.say(f"  {index}) {_text_of(option.get('text'))}")
            choice = self.read_line("  choose: ").strip()
            if choice.lower() == "cancel":
                self.say()
                return None

    def _confirm(self, confirm: dict[str, Any]) -> bool:
        title = _text_of(confirm.get("title")) or "Are you sure?"
        self.say(f"? {title}: {mrkdwn_to_text(_text_of(confirm.get('text')), self.name_of)}")
        yes = _text_of(confirm.get("confirm")) or "Yes"
        no = _text_of(confirm.get("deny")) or "Cancel"
        answer = self.read_line(f"  {yes} / {no} [y/N]: ").strip().lower()
        if answer in ("y", "yes", yes.lower()):
            return True
        self.say("(cancelled)")
        self.say()
        return False

    # -- modals ------------------------------------------------------------------------------------
    def run_modal(self, view: dict[str, Any]) -> None:
        """Ask each input field, submit a real view_submission, show field errors and ask those again."""
        answers: dict[str, dict[str, dict[str, Any]]] = {}
        ask_only: set[str] | None = None
        while True:
            title = _text_of(view.get("title")) or "Modal"
            self.say(f"┌ modal: {title}")
            renderer = self._renderer(self.channel.channel_id, view=view)
            inputs = []
            for index, block in enumerate(view.get("blocks") or []):
                if block.get("type") == "input":
                    block_id = str(block.get("block_id") or f"input{index}")
                    inputs.append((block_id, block))
                else:
                    for line in renderer.blocks([block]):
                        self.say(f"│ {line}".rstrip())
            self._modals.insert(0, view)  # buttons inside stay pressable while it is open
            try:
                for block_id, block in inputs:
                    if ask_only is not None and block_id not in ask_only:
                        continue
                    state = self._ask_field(block, block_id)
                    element = block.get("element") or {}
                    action_id = str(element.get("action_id") or f"{block_id}-action")
                    answers[block_id] = {action_id: state}
            except ConsoleExit:
                self.say("└ (modal closed without submitting)")
                raise
            except _Cancelled:
                self.say("└ (modal closed without submitting)")
                self.say()
                self._drop_modal(view)
                return
            finally:
                self._drop_modal(view)
            submit = _text_of(view.get("submit")) or "Submit"
            self.say(f"└ [{submit}]")
            self.say()
            response = self.workspace.sim.view_submission(
                self.current.user_id, str(view.get("callback_id") or ""), answers,
                str(view.get("private_metadata") or ""), view_id=str(view.get("id") or ""),
                blocks=view.get("blocks") or [], title=title, submit=submit)
            self._show_http_problem(response)
            body = response.body if isinstance(response.body, dict) else {}
            action = body.get("response_action")
            self.workspace.settle()
            self.render_new()
            if action == "errors":
                errors = body.get("errors") or {}
                for block_id, message in errors.items():
                    label = next((_text_of(b.get("label")) for b, bid in
                                  ((b, str(b.get("block_id") or "")) for b in view.get("blocks") or [])
                                  if bid == block_id), block_id)
                    self.say(f"⚠ {label}: {message}")
                self.say()
                ask_only = {str(k) for k in errors} or None
                continue
            if action in ("update", "push") and isinstance(body.get("view"), dict):
                view = {**body["view"], "id": view.get("id") if action == "update" else body["view"].get("id")}
                answers, ask_only = {}, None
                continue
            while self._modals:
                following = self._modals.pop(0)
                if following.get("type") == "modal":
                    self.run_modal(following)
            return

    def _drop_modal(self, view: dict[str, Any]) -> None:
        self._modals = [v for v in self._modals if v is not view]

    def _ask_field(self, block: dict[str, Any], block_id: str) -> dict[str, Any]:
        element = block.get("element") or {}
        kind = element.get("type")
        label = _text_of(block.get("label")) or block_id
        optional = bool(block.get("optional"))
        hint = _text_of(block.get("hint"))
        suffix = " (optional)" if optional else ""
        self.say(f"│ {label}{suffix}" + (f" — {hint}" if hint else ""))
        options = _options(element)
        if kind in ("static_select", "radio_buttons", "multi_static_select", "checkboxes"):
            for index, option in enumerate(options, 1):
                self.say(f"│   {index}) {_text_of(option.get('text'))}")
        if kind in ("users_select", "multi_users_select"):
            for index, member in enumerate(self.members, 1):
                self.say(f"│   {index}) {member.real_name}")
        default = _default(element)
        while True:
            shown = f" [{default}]" if default else ""
            answer = self.read_line(f"│ > {label}{shown}: ").strip()
            if answer.lower() == "cancel":
                raise _Cancelled
            if not answer and default:
                answer = default
            if not answer:
                if optional:
                    return _empty_state(element)
                self.say("│ This field is required (Slack will not submit without it).")
                continue
            state = self._state_for(element, answer, options)
            if state is not None:
                return state

    def _state_for(self, element: dict[str, Any], answer: str, options: list[dict[str, Any]]) -> dict[str, Any] | None:
        kind = element.get("type")
        if kind in ("plain_text_input", "email_text_input", "url_text_input", "rich_text_input", None):
            text = answer.replace("\\n", "\n")
            limit = element.get("max_length")
            if isinstance(limit, int) and len(text) > limit:
                self.say(f"│ At most {limit} characters here (Slack stops typing at the limit).")
                return None
            return {"type": kind or "plain_text_input", "value": text}
        if kind == "number_input":
            if not re.fullmatch(r"-?\d+(\.\d+)?", answer):
                self.say("│ A number, please.")
                return None
            return payloads.number_input(answer)
        if kind in ("static_select", "radio_buttons"):
            picked = _pick(options, answer)
            if picked is None:
                self.say("│ Give an option's number or name.")
                return None
            return {"type": kind, "selected_option": picked}
        if kind in ("multi_static_select", "checkboxes"):
            chosen = [_pick(options, part.strip()) for part in answer.split(",") if part.strip()]
            if any(c is None for c in chosen):
                self.say("│ Give options' numbers or names, separated by commas.")
                return None
            return {"type": kind, "selected_options": chosen}
        if kind == "users_select":
            member = _pick_member(self.members, answer)
            if member is None:
                self.say("│ Give a member's number or name.")
                return None
            return payloads.users_select(member.user_id)
        if kind == "multi_users_select":
            picked_members = [_pick_member(self.members, part.strip()) for part in answer.split(",") if part.strip()]
            if any(m is None for m in picked_members):
                self.say("│ Give members' numbers or names, separated by commas.")
                return None
            return payloads.multi_users_select(m.user_id for m in picked_members if m is not None)
        if kind == "datepicker":
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", answer):
                self.say("│ A date as YYYY-MM-DD.")
                return None
            return payloads.datepicker(answer)
        if kind == "timepicker":
            if not re.fullmatch(r"\d{1,2}:\d{2}", answer):
                self.say("│ A time as HH:MM.")
                return None
            return {"type": "timepicker", "selected_time": answer.zfill(5)}
        if kind in ("conversations_select", "channels_select"):
            key = "selected_conversation" if kind == "conversations_select" else "selected_channel"
            return {"type": kind, key: self.channel.channel_id if answer.lstrip("#") == self.channel.name else answer}
        return {"type": kind, "value": answer}

    # -- the loop ----------------------------------------------------------------------------------
    def banner(self, lines: list[str]) -> None:
        for line in lines:
            self.say(line)
        self.say()

    def run(self) -> None:
        if self.interactive:
            self._start_watcher()
        try:
            while True:
                try:
                    line = self.read_line(self.prompt)
                except KeyboardInterrupt:
                    self.say()
                    continue
                with self._busy:
                    self.handle(line)
        except ConsoleExit:
            pass
        finally:
            self._stop.set()

    def _start_watcher(self) -> None:
        """In a terminal: show what the app posts on its own (reminders) while the person is typing."""

        def watch() -> None:
            while not self._stop.wait(1.0):
                if len(self.workspace.standin.calls) <= self._cursor:
                    continue
                if not self._busy.acquire(blocking=False):
                    continue
                try:
                    self.workspace.settle()
                    with self._print_lock:
                        self.stdout.write("\r\n")
                        self.render_new()
                        self.stdout.write(self.prompt)
                        self.stdout.flush()
                finally:
                    self._busy.release()

        threading.Thread(target=watch, name="console-watch", daemon=True).start()


class _Cancelled(Exception):
    pass


def _json(value: Any) -> Any:
    if isinstance(value, str):
        import json

        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _pick(options: list[dict[str, Any]], choice: str) -> dict[str, Any] | None:
    if choice.isdigit() and 1 <= int(choice) <= len(options):
        return options[int(choice) - 1]
    folded = choice.strip().lower()
    for option in options:
        if folded in (_text_of(option.get("text")).lower(), str(option.get("value") or "").lower()):
            return option
    return None


def _pick_member(members: list[Member], answer: str) -> Member | None:
    if answer.isdigit() and 1 <= int(answer) <= len(members):
        return members[int(answer) - 1]
    return find_member(members, answer)


def _default(element: dict[str, Any]) -> str:
    if element.get("initial_value"):
        return str(element["initial_value"])
    option = element.get("initial_option")
    if isinstance(option, dict):
        return _text_of(option.get("text"))
    if element.get("initial_date"):
        return str(element["initial_date"])
    if element.get("initial_time"):
        return str(element["initial_time"])
    return ""


def _empty_state(element: dict[str, Any]) -> dict[str, Any]:
    kind = element.get("type") or "plain_text_input"
    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": None}
    if kind in ("multi_static_select", "checkboxes"):
        return {"type": kind, "selected_options": []}
    if kind == "users_select":
        return payloads.users_select(None)
    if kind == "multi_users_select":
        return payloads.multi_users_select([])
    if kind == "datepicker":
        return payloads.datepicker(None)
    return {"type": kind, "value": None}


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def find_member(members: list[Member], who: str) -> Member | None:
    """A member by user id, handle, or a unique fragment of the name (case-insensitive)."""
    key = who.strip().lstrip("@").lower()
    if not key:
        return None
    for member in members:
        if key in (member.user_id.lower(), member.handle.lower(), member.real_name.lower()):
            return member
    matches = [m for m in members if key in m.real_name.lower() or key in m.handle.lower()]
    return matches[0] if len(matches) == 1 else None


def _aliases(member: Member) -> list[str]:
    names = [member.handle, member.real_name, member.user_id]
    if member.real_name.startswith("Dr. "):
        names.append(member.real_name.removeprefix("Dr. "))
    return [name for name in names if name]


def with_mentions(text: str, members: list[Member], *, labelled: bool = False) -> str:
    """`@handle` and `@Full Name` of a member as the Slack client sends a picked mention: `<@U…>` in a
    message, `<@U…|handle>` in a slash command (the manifest asks Slack to escape them). Anything
    else after an `@` is sent as typed, as Slack does."""
    aliases = sorted(((alias.lower(), member) for member in members for alias in _aliases(member)),
                     key=lambda pair: -len(pair[0]))
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "@" and (index == 0 or not (text[index - 1].isalnum() or text[index - 1] in "<|")):
            rest = text[index + 1:]
            for alias, member in aliases:
                end = len(alias)
                if rest[:end].lower() == alias and _ends_name(rest, end):
                    out.append(f"<@{member.user_id}|{member.handle}>" if labelled else f"<@{member.user_id}>")
                    index += 1 + end
                    break
            else:
                out.append(char)
                index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _ends_name(rest: str, end: int) -> bool:
    """The name ends at `end`: the text ends, or a space or punctuation follows (not more of a name)."""
    if end >= len(rest):
        return True
    following = rest[end]
    if following.isalnum() or following in "_-":
        return False
    return not (following == "." and end + 1 < len(rest) and rest[end + 1].isalnum())


# --- starting a session ----------------------------------------------------------------------------


DEMO_DATABASE = Path("var") / "demo.db"


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


def _route_logs(level: str) -> Path:
    """Logs go to var/console.log (rewritten each session), not to the screen; errors are also collected."""
    path = Path.cwd() / "var" / "console.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    from bot.logs import JsonFormatter, configure_logging

    configure_logging(level)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    logging.getLogger().handlers = [handler, ERRORS]
    return path


def _banner(plan: SessionPlan, *, demo: bool, database_note: str, reminders_note: str) -> list[str]:
    lines = [
        RULE,
        "  SOAP War Room: LOCAL CONSOLE. Nothing you type here reaches Slack.",
        RULE,
        "The real app runs on this computer, with a stand-in for Slack: every /soap command,",
        "button and modal goes through the same code as in a Slack workspace.",
        database_note,
        reminders_note,
        "To connect to Slack: README.md, \"Connecting to Slack\" (create the app from manifest.yml,",
        "put SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN, in .env, run `make run`).",
        "Help: type `/soap help` for the bot's commands, `help` for the console's keys.",
        *plan.notes,
        f"You are {plan.first.label} in #{plan.channel.name}. `who` lists the committee; `as <name>` switches.",
    ]
    if demo:
        lines.insert(6, "Demo data is synthetic (generated names, no real people).")
    return lines


def run_console(settings: Settings, *, demo: bool, member: str | None, now: datetime | None = None,
                stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    """`soapbot console`: open the local war room. Returns the exit status."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    from storage.database import Database
    from storage.migrate import SchemaBehind, ensure_current

    if demo:
        path = Path.cwd() / DEMO_DATABASE
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        settings = load_settings(env_file=None, **{**settings.model_dump(), "database_url": f"sqlite:///{path}"})
        database_note = (f"Database: {DEMO_DATABASE} (rebuilt each time the demo starts; your real "
                         "program's database is never touched).")
    else:
        database_note = f"Database: {_shown_url(settings.database_url)} (DATABASE_URL): changes here are real."
    try:
        ensure_current(Database(settings.database_url))
    except SchemaBehind as error:
        print(error, file=sys.stderr)
        return 2
    start = now or (DEMO_START if demo and not interactive else None)
    clock = ConsoleClock(start, running=interactive)
    log_path = _route_logs(settings.log_level)
    workspace = LocalWorkspace(settings, clock)
    try:
        if demo:
            plan = seed_demo(workspace)
        else:
            plan = _existing_plan(workspace)
        first = plan.first
        if member:
            found = find_member(plan.members, member)
            if found is None:
                print(f"No committee member {member!r}; members: "
                      + ", ".join(m.real_name for m in plan.members), file=sys.stderr)
                return 2
            first = found
        run_reminders = demo or settings.mode == "console"
        if not run_reminders:
            reminders_note = ("Reminders: not run here (Slack credentials are set, so your clock process "
                              "sends them to Slack).")
        elif interactive:
            reminders_note = "Reminders: the clock runs here; `wait 5m` moves it forward."
        else:
            reminders_note = "Reminders: the clock stands still; `wait 5m` moves it and runs the reminders."
        console = Console(workspace, plan.channel, plan.members, first, stdin=stdin, stdout=stdout,
                          interactive=interactive, timezone=plan.timezone)
        if not interactive:
            # Keep `wait` working in scripts even when reminders are not run here.
            if not run_reminders:
                workspace.run_clock_jobs = lambda: None  # type: ignore[method-assign]
        elif run_reminders:
            workspace.start_clock()
        console.banner(_banner(plan, demo=demo, database_note=database_note, reminders_note=reminders_note))
        console.say(f"It is {console._fmt(clock())} on the console clock. Logs: {_relative(log_path)}.")
        console.say()
        if run_reminders:
            workspace.run_clock_jobs()  # as a clock process does when it starts: what is due now is sent
        console.after_request()
        console.run()
    finally:
        workspace.close()
    if interactive:
        print("Bye. Nothing was sent to Slack.")
    return 0


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _shown_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return _relative(path)
    return re.sub(r"//[^@/]*@", "//…@", url)


def _existing_plan(workspace: LocalWorkspace) -> SessionPlan:
    """Not the demo: the first program in the database, or an empty local channel to set one up."""
    from bot.access import Role
    from bot.services import programs
    from storage.models import CommitteeRole, Program

    standin = workspace.standin
    you = Member(LOCAL_USER, "you", "You", "you")
    with workspace.room.database.reading() as session:
        program = session.scalar(select(Program).where(Program.purged_at.is_(None)).order_by(Program.id))
        if program is None:
            standin.set_channel(LOCAL_CHANNEL, name="soap-war-room", is_private=True, members=[LOCAL_USER])
            standin.add_user(LOCAL_USER, "you", "You")
            return SessionPlan(ChannelInfo(LOCAL_CHANNEL, "soap-war-room"), [you], you,
                               workspace.settings.timezone,
                               notes=["No program yet: type `/soap setup <program name>` to make this channel "
                                      "the war room (you become its director)."])
        roles = list(session.scalars(select(CommitteeRole).where(CommitteeRole.program_id == program.id)))
        ref = programs.program_ref(program)
    members: list[Member] = []
    for index, role in enumerate(roles, 1):
        title = Role(role.role).value
        members.append(Member(role.user_id, f"member{index}", f"Member {index} ({role.user_id})", title))
        standin.add_user(role.user_id, f"member{index}")
    if not any(m.user_id == LOCAL_USER for m in members):
        members.append(you)
        standin.add_user(LOCAL_USER, "you", "You")
    standin.set_channel(ref.channel_id, name="soap-war-room", is_private=True,
                        members=[m.user_id for m in members])
    workspace.use_team(ref.team_id)
    first = next((m for m in members if m.title == Role.DIRECTOR.value), members[0])
    return SessionPlan(ChannelInfo(ref.channel_id, "soap-war-room"), members, first, ZoneInfo(ref.timezone),
                       notes=[f"Program: {ref.name}. The committee here is the people with a recorded role "
                              "(Slack is not asked who is in the real channel), plus you as a member."])


__all__ = [
    "CONSOLE_HELP",
    "ChannelInfo",
    "Console",
    "ConsoleClock",
    "LocalWorkspace",
    "Member",
    "Renderer",
    "SessionPlan",
    "find_member",
    "mrkdwn_to_text",
    "parse_duration",
    "run_console",
]

