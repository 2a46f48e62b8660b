"""What a person types in the console, one command per first word (`COMMANDS`); anything else is a
message in the war-room channel, and `/soap …` is the slash command."""

from __future__ import annotations

import mimetypes
import shlex
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.console import payloads
from bot.console.mentions import find_member, with_mentions
from bot.console.modal_forms import ModalForms, pick_option
from bot.console.rendering import Control, _options, _text_of, mrkdwn_to_text
from bot.console.transcript import ConsoleExit, Origin
from bot.console.workspace import (
    parse_duration,
)
from bot.services import reminders

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


class Commands(ModalForms):
    """The console's commands, as the current member."""

    def handle(self, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            return
        if stripped.startswith("#"):
            return  # a comment in a script
        word, _, rest = stripped.partition(" ")
        rest = rest.strip()
        if stripped.startswith("/"):
            self.slash(word, rest)
            return
        command = COMMANDS.get(word.lower())
        if command is None:
            self.message(stripped)
        else:
            command(self, rest)

    def show_help(self, _rest: str = "") -> None:
        self.say(CONSOLE_HELP)
        self.say()

    def quit(self, _rest: str = "") -> None:
        raise ConsoleExit

    def show_time(self, _rest: str = "") -> None:
        self.say(f"It is {self._fmt(self.workspace.clock())} on the console clock.")
        self.say()

    def reply_to(self, rest: str) -> None:
        """`reply <n> <text>`."""
        number, _, text = rest.partition(" ")
        self.reply(number, text.strip())

    def _new_key(self, origin: Origin) -> str:
        self._keys += 1
        key = f"console-{self._keys}"
        self._origins[key] = origin
        return key

    def slash(self, command: str, text: str) -> None:
        if command.lower() != "/soap":
            self.say(f"Only /soap is installed in this workspace (you typed {command}).")
            self.say()
            return
        key = self._new_key(Origin(self.current.user_id, self.channel.channel_id))
        text = with_mentions(text, self.members, labelled=True)
        response = self.workspace.sim.command(text, self.current.user_id, self.channel.channel_id,
                                              response_url_key=key, channel_name=self.channel.name,
                                              user_name=self.current.handle)
        self._show_http_problem(response)
        self._show_ack_body(response, key)
        self.after_request()

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

    def home(self, _rest: str = "") -> None:
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

    def who(self, _rest: str = "") -> None:
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
        origin = Origin(self.current.user_id, control.channel, control.message_ts, control.ephemeral)
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
                picked = pick_option(options, choice)
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


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


#: The console's commands by their first word (what `help` lists); any other line is a message.
COMMANDS: dict[str, Callable[[Commands, str], None]] = {
    "help": Commands.show_help,
    "?": Commands.show_help,
    "quit": Commands.quit,
    "exit": Commands.quit,
    "as": Commands.switch,
    "who": Commands.who,
    "home": Commands.home,
    "press": Commands.press,
    "reply": Commands.reply_to,
    "thread": Commands.show_thread,
    "wait": Commands.wait,
    "time": Commands.show_time,
    "say": Commands.message,
    "share": Commands.share,
}
