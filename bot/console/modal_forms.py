"""Modals (`views.open`) asked field by field in the terminal and submitted as a real
`view_submission`; field errors from the app are shown and those fields asked again."""

from __future__ import annotations

import re
from typing import Any

from bot.console import payloads
from bot.console.mentions import pick_member
from bot.console.rendering import _options, _text_of
from bot.console.transcript import ConsoleExit, Transcript


class ModalForms(Transcript):
    """Asks a modal's fields and submits it; after each request, runs the modals the app opened."""

    def after_request(self) -> None:
        self.workspace.settle()
        self.render_new()
        while self._modals:
            view = self._modals.pop(0)
            if view.get("type") == "modal":
                self.run_modal(view)

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
            picked = pick_option(options, answer)
            if picked is None:
                self.say("│ Give an option's number or name.")
                return None
            return {"type": kind, "selected_option": picked}
        if kind in ("multi_static_select", "checkboxes"):
            chosen = [pick_option(options, part.strip()) for part in answer.split(",") if part.strip()]
            if any(c is None for c in chosen):
                self.say("│ Give options' numbers or names, separated by commas.")
                return None
            return {"type": kind, "selected_options": chosen}
        if kind == "users_select":
            member = pick_member(self.members, answer)
            if member is None:
                self.say("│ Give a member's number or name.")
                return None
            return payloads.users_select(member.user_id)
        if kind == "multi_users_select":
            picked_members = [pick_member(self.members, part.strip()) for part in answer.split(",") if part.strip()]
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


class _Cancelled(Exception):
    pass



def pick_option(options: list[dict[str, Any]], choice: str) -> dict[str, Any] | None:
    if choice.isdigit() and 1 <= int(choice) <= len(options):
        return options[int(choice) - 1]
    folded = choice.strip().lower()
    for option in options:
        if folded in (_text_of(option.get("text")).lower(), str(option.get("value") or "").lower()):
            return option
    return None



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
