"""`/soap candidate`, `/soap find`, `/soap flag`, the ERAS export shared in the war room, and list pages.

Import from Slack: a person with write access shares a .csv/.xlsx in the war-room channel with a
message containing the word "import"; the bot replies in that message's thread with the counts
or the first 20 bad rows. Files shared anywhere else, or without the word, are ignored.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.access import Access
from bot.domain.candidate_search import FindFilters
from bot.domain.find_words import FIND_HELP, FindWordsError, parse_find
from bot.domain.typed_words import UnclosedQuote, split_words
from bot.domain.when import program_today
from bot.errors import BadInput, WarRoomError
from bot.messages.candidate_lists import (
    find_blocks,
    find_text,
    import_text,
    matches_blocks,
    matches_text,
)
from bot.messages.ids import PAGER, ActionId, BlockId, SearchPageButton
from bot.messages.mrkdwn import escape
from bot.services import candidate_search, flags, shared_files, slack_events
from bot.services.candidate_cards import refresh_card, show_card
from bot.services.plan_war_room import post_plan_notes
from bot.war_room import WarRoom
from handlers.errors import guard
from handlers.gate import action_value, actor_of, button, require
from handlers.router import SoapCommand, SoapRouter

log = logging.getLogger(__name__)

IMPORT_WORD = re.compile(r"\bimport\b", re.IGNORECASE)
FLAG_USAGE = "`/soap flag <AAMC ID> rotated|interviewed|home|contact|prelim|letters [off]`"


def find_words(raw: str) -> tuple[list[str], int]:
    """The filter words and the page asked for (`page=2`)."""
    try:
        words = split_words(raw)
    except UnclosedQuote:
        words = raw.split()
    page = 1
    kept = []
    for word in words:
        match = re.fullmatch(r"page[=:]([0-9]{1,4})", word.lower())
        if match:
            page = int(match.group(1))
        else:
            kept.append(word)
    return kept, page


def candidate(cmd: SoapCommand) -> None:
    key = cmd.args.raw.strip().strip('"“”')
    found = show_card(cmd.room, cmd.program, key, cmd.actor.user_id, viewer=cmd.actor.user_id)
    if isinstance(found, list):
        cmd.reply(matches_text(key, found), matches_blocks(key, found))
        return
    if not found.new_thread:
        where = f"<{found.permalink}|the card>" if found.permalink else "the card"
        cmd.reply(f"{escape(found.aamc_id)} already has a card: {where} is refreshed, and its thread points to it.")


def _filters(words: list[str]) -> FindFilters:
    """The filters the words say; a refusal quotes the words as typed, so it is escaped here."""
    try:
        return parse_find(words)
    except FindWordsError as error:
        raise BadInput(escape(str(error))) from None


def find(cmd: SoapCommand) -> None:
    words, page = find_words(cmd.args.raw)
    if words and words[0].lower() == "help":
        cmd.reply(FIND_HELP)
        return
    filters = _filters(words)
    result = candidate_search.find(cmd.room.database, cmd.program.id, filters, page=page, member=cmd.actor.user_id)
    query = " ".join(words)
    cmd.reply(find_text(result), find_blocks(result, query))


def flag(cmd: SoapCommand) -> None:
    words = list(cmd.args.words)
    value = True
    if words and words[-1].lower() in ("off", "no", "clear", "remove", "on", "yes"):
        value = words.pop().lower() in ("on", "yes")
    if len(words) < 2:
        raise BadInput(f"Use {FLAG_USAGE}.")
    key, word = " ".join(words[:-1]), words[-1]
    result = flags.set_flag(cmd.room.database, program=cmd.program, actor=cmd.actor.user_id,
                                 candidate_key=key, word=word, value=value,
                            today=program_today(cmd.room.clock(), cmd.program.timezone))
    who = f"{escape(result.name)} ({escape(result.aamc_id)})"
    if not result.changed:
        cmd.reply(f"{who} is already {'' if value else 'not '}flagged *{escape(result.label)}*; nothing changed.")
        return
    refresh_card(cmd.room, cmd.program, result.candidate_id)
    moved = (f" Bucket: {escape(result.bucket_before or 'none')} → {escape(result.bucket_after or 'none')}."
             if result.bucket_before != result.bucket_after else "")
    cmd.reply(f"{who}: *{escape(result.label)}* {'set' if value else 'cleared'}.{moved}")


def asks_for_import(body: dict[str, Any]) -> bool:
    """Only a file shared with the word "import" is an import; other files (one attached to a reply
    in a candidate's thread, say) go on to the listeners after this one."""
    event = body.get("event")
    return isinstance(event, dict) and bool(IMPORT_WORD.search(str(event.get("text") or "")))


def file_shared(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    event = body.get("event") or {}
    actor = actor_of(room, body)
    if actor.program is None or event.get("channel") != actor.program.channel_id:
        return  # not a war room: not ours to answer
    thread = str(event.get("thread_ts") or event.get("ts") or "")
    channel = actor.program.channel_id

    def refuse(error: WarRoomError | str) -> None:
        try:
            room.gateway.post_ephemeral(channel, actor.user_id, f":no_entry: {error}", thread_ts=thread or None)
        except SlackApiError as failure:  # Slack shows nothing to someone no longer in the channel
            log.warning("could not tell the sharer why the file was not imported: %s",
                        failure.response.get("error"))

    try:
        program = actor.require(Access.WRITE, "import applicants")
        shared = event.get("files") or []
        files = shared_files.export_files(shared)
        if not files:
            raise BadInput("Share the ERAS export as a .csv or .xlsx file with the word `import`.")
    except WarRoomError as error:
        refuse(error)
        return
    if not slack_events.claim(room.database, body.get("event_id"), room.clock()):
        return  # a redelivery of a share already taken (maybe still importing)
    skipped = [str(f.get("name") or "a file") for f in shared if f not in files]
    if skipped:
        refuse(f"Not an export (.csv or .xlsx), not imported: {escape(', '.join(skipped)[:300])}.")
    for file in files:  # each export on its own, all or nothing, answered in the thread
        try:
            result = shared_files.import_shared_file(room, program, file, actor=actor.user_id)
        except WarRoomError as error:
            refuse(error)
            continue
        room.gateway.post(channel, import_text(result), thread_ts=thread or None)
        if result.from_plan:  # the plan's notes go in the new candidates' threads now, not at the clock's turn
            post_plan_notes(room, program.id)


def find_page(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    actor, program = require(room, body, Access.READ)
    clicked = button(SearchPageButton, body)
    query, page = clicked.query, clicked.page
    words, _ = find_words(query)
    result = candidate_search.find(room.database, program.id, _filters(words), page=page, member=actor.user_id)
    respond(text=find_text(result), blocks=find_blocks(result, query), response_type="ephemeral",
            replace_original=True)


def refresh(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    _, program = require(room, body, Access.READ)
    value = action_value(body)
    if value.isdigit():
        refresh_card(room, program, int(value))


def register(app: App, router: SoapRouter) -> None:
    router.subcommand("candidate", access=Access.READ, usage="candidate 12345678 | candidate Alvarez",
                      summary="Posts the applicant's card in the war room (again: refreshes it and points to it "
                              "in its thread).",
                      free_text=True)(candidate)
    router.subcommand("find", access=Access.READ, usage="find step2>=240 grad>=2024 type:md visa:no voted:no",
                      summary="Lists the candidates matching every filter (only you see it); `find help` names "
                              "every filter.", free_text=True)(find)
    router.subcommand("flag", access=Access.WRITE, usage="flag 12345678 rotated|interviewed|home|contact [off]",
                      summary="Records what ERAS does not hold: rotated here, interviewed, home student, "
                              "prior contact, prelim, strong letters.", what="flag candidates", free_text=True)(flag)
    app.event({"type": "message", "subtype": "file_share"}, matchers=[asks_for_import])(guard(file_shared))
    app.action({"block_id": BlockId.FIND_PAGE.value, "action_id": PAGER})(guard(find_page))
    app.action({"block_id": BlockId.CARD_CORE.value, "action_id": ActionId.CARD_REFRESH.value})(guard(refresh))
