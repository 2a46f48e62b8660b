"""Reference-call notes: `/soap ref`, `/soap notes`, the "Add reference note" modal, thread replies.

Thin adapters over `bot.services.notes` (which explains the behaviour). The note is stored before
the acknowledgement of a modal (so a bad note is answered with a field error in the modal) and
posted after it; `/soap ref` is acknowledged by the router before anything else happens.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.access import Access
from bot.domain.notes import NoteField, NoteSource
from bot.domain.roles import Role
from bot.errors import BadInput, WarRoomError
from bot.messages import notes as messages
from bot.messages.ids import ActionId, CallbackId
from bot.services import candidate_lookup, notes
from bot.war_room import WarRoom
from handlers import gate
from handlers.errors import guard
from handlers.router import SoapCommand, SoapRouter

_WRITERS = (Role.MEMBER, Role.DIRECTOR)
_NOTE_SUBTYPES = (None, "thread_broadcast", "file_share")


def _thread_message(event: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(kind, message) for a person's message inside a thread: new, edit or delete; else None."""
    if event.get("type") != "message":
        return None
    subtype = event.get("subtype")
    if subtype in _NOTE_SUBTYPES:
        kind, message = "new", event
    elif subtype == "message_changed":
        kind, message = "edit", event.get("message") or {}
    elif subtype == "message_deleted":
        kind, message = "delete", event.get("previous_message") or {}
    else:
        return None
    ts, thread_ts = message.get("ts"), message.get("thread_ts")
    if not thread_ts or not ts or thread_ts == ts or message.get("bot_id") or message.get("subtype") == "bot_message":
        return None
    return kind, message


def is_thread_reply(body: dict[str, Any]) -> bool:
    """Matcher: only replies in threads reach the notes listener (other message listeners get the rest)."""
    event = body.get("event")
    return isinstance(event, dict) and _thread_message(event) is not None


def ref(cmd: SoapCommand) -> None:
    if not cmd.args.words:
        raise BadInput("Use `/soap ref <AAMC ID> <what they said>`, e.g. "
                       "`/soap ref 12345678 Called Dr. Rivera: reliable, strong clinically`.")
    key, count = candidate_lookup.leading_applicant(cmd.room.database, cmd.program.id, cmd.args.words,
                                                    rest_fits=bool)
    saved = notes.add_note(cmd.room.database, program=cmd.program, author=cmd.actor.user_id,
                           aamc_id=key, text=cmd.args.rest(count), source=NoteSource.COMMAND,
                           now=cmd.room.clock())
    delivery = notes.deliver(cmd.room, saved.note_id)
    cmd.reply(messages.saved_reply(candidate_name=saved.candidate_name, aamc_id=saved.aamc_id,
                                   posted=delivery.posted, read_as=saved.sentiment))


def list_notes(cmd: SoapCommand) -> None:
    words = list(cmd.args.words)
    page_number = int(words.pop()) if len(words) > 1 and words[-1].isdigit() else 1
    if not words:
        raise BadInput("Use `/soap notes <AAMC ID or name>` (add a page number for older notes: "
                       "`/soap notes 12345678 2`).")
    page = notes.list_notes(cmd.room.database, program_id=cmd.program.id, aamc_id=" ".join(words),
                            page=page_number)
    text, blocks = _render_page(page, cmd.program.timezone)
    cmd.reply(text, blocks)


def _render_page(page: notes.NotesPage, timezone: str) -> tuple[str, list[dict[str, Any]]]:
    return messages.notes_list(candidate_name=page.candidate_name, aamc_id=page.aamc_id, notes=page.notes,
                               total=page.total, page=page.page, pages=page.pages, counts=page.counts,
                               timezone=timezone)


def turn_page(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    _, program = gate.require(room, body, Access.READ)
    wanted = messages.read_page_value(gate.clicked(body).get("value"))
    if wanted is None:
        return
    page = notes.list_notes(room.database, program_id=program.id, aamc_id=wanted[0], page=wanted[1])
    text, blocks = _render_page(page, program.timezone)
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)


def open_modal(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    _, program = gate.require(room, body, Access.WRITE, "add reference notes")
    aamc_id = gate.action_value(body)
    name, aamc_id = notes.candidate_brief(room.database, program.id, aamc_id)
    view = messages.note_modal(candidate_name=name, aamc_id=aamc_id,
                               private_metadata=gate.view_metadata(program.id, candidate=aamc_id))
    room.gateway.call("views.open", give_up_at=room.clock() + timedelta(seconds=2),
                      trigger_id=body.get("trigger_id"), view=view)


def submit_modal(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    values = messages.read_modal(((body.get("view") or {}).get("state") or {}).get("values") or {})
    aamc_id = str(gate.read_view_metadata(body).get("candidate") or "")
    try:
        actor, program = gate.require(room, body, Access.WRITE, "add reference notes")
        saved = notes.add_note(room.database, program=program, author=actor.user_id, aamc_id=aamc_id,
                               text=values[NoteField.TEXT] or "", source=NoteSource.MODAL, now=room.clock(),
                               sentiment=values[NoteField.SENTIMENT], called_name=values[NoteField.CALLED_NAME],
                               institution=values[NoteField.INSTITUTION], role=values[NoteField.ROLE],
                               relationship=values[NoteField.RELATIONSHIP])
    except notes.NoteInputError as error:
        ack(response_action="errors", errors=error.errors)
        return
    except WarRoomError as error:
        ack(response_action="errors", errors={NoteField.TEXT.value: str(error)[:2000]})
        return
    ack()
    delivery = notes.deliver(room, saved.note_id)
    if not delivery.posted:
        room.gateway.post_ephemeral(program.channel_id, actor.user_id, messages.saved_reply(
            candidate_name=saved.candidate_name, aamc_id=saved.aamc_id, posted=False))


def thread_reply(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    found = _thread_message(body.get("event") or {})
    if found is None:
        return
    kind, message = found
    actor = gate.actor_of(room, body)
    if actor.program is None:
        return  # not a war room (or another workspace): nothing of ours
    program_id, event_id, ts = actor.program.id, body.get("event_id"), str(message.get("ts"))
    if actor.role not in _WRITERS:
        # Observers, people who left the committee, outsiders: their replies, edits and deletions stay in
        # Slack only; a note they wrote while a member is changed by no one but a writer.
        return
    text = message.get("text") or ""
    if kind != "delete" and notes.too_long(text):
        if notes.is_candidate_thread(room.database, program_id, message.get("thread_ts")):
            room.gateway.post_ephemeral(actor.program.channel_id, actor.user_id, messages.reply_too_long(
                len(notes.unslack(text).strip())), thread_ts=str(message.get("thread_ts")))
        return  # not stored whole (a stored note keeps what it had)
    if kind == "delete":
        changed = notes.mirror_delete(room.database, program_id=program_id, actor=actor.user_id, ts=ts,
                                      event_id=event_id, now=room.clock())
    elif kind == "edit":
        changed = notes.mirror_edit(room.database, program_id=program_id, editor=actor.user_id,
                                    thread_ts=message.get("thread_ts"), ts=ts, text=text,
                                    event_id=event_id, now=room.clock(), may_create=True)
    else:
        changed = notes.capture_thread_reply(room.database, program_id=program_id, author=actor.user_id,
                                             thread_ts=str(message.get("thread_ts")), ts=ts, text=text,
                                             event_id=event_id, now=room.clock())
    if changed is not None:
        notes.refresh_card(room, program_id, changed.candidate_id)


def register(app: App, router: SoapRouter) -> None:
    router.subcommand("ref", access=Access.WRITE, usage="ref 12345678 Called Dr. Rivera: reliable, strong",
                      summary="Adds a reference-call note to the candidate's thread (the card's button "
                              "opens a form with sentiment and who was called).",
                      what="add reference notes", free_text=True)(ref)
    router.subcommand("notes", access=Access.READ, usage="notes 12345678 [page]",
                      summary="Lists a candidate's reference notes, newest first (only you see the list).")(list_notes)
    pager = re.compile(rf"^{re.escape(messages.PAGE_BLOCK_ID)}")
    app.action({"action_id": ActionId.PAGE.value, "block_id": pager})(guard(turn_page))
    app.action(ActionId.ADD_NOTE.value)(guard(open_modal))
    app.view(CallbackId.NOTE_MODAL.value)(guard(submit_modal))
    app.event("message", matchers=[is_thread_reply])(guard(thread_reply))

