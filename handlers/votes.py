"""Votes, own orderings, pins and the preference lists (one per program code).

`/soap vote <id> high|rank|if-needed|dnr`, the four vote buttons on the card, `/soap rank <id> <id> …`,
`/soap votes <id>` (who voted what for directors, the tally for others),
`/soap pin|unpin|exclude|include <id> [code]` (directors),
`/soap list [code|label] [page]`,
`/soap list lock|unlock|csv <round> [code]` and `/soap list certified <round> [code]` (directors).

`/soap list lock <round> [code]` first shows the director the check (`bot.services.lock_check`) with
**Lock** and **Cancel**; nothing is locked until **Lock** is pressed, or at once with `… confirm`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.access import Access, ProgramRef
from bot.domain.list_words import ListWordsError, parse_round
from bot.domain.lists import PlacementKind
from bot.domain.roles import Role
from bot.errors import BadInput
from bot.messages import preference_list as messages
from bot.messages.ids import ActionId, ListButton
from bot.messages.lock_check import lock_check_message
from bot.messages.mrkdwn import escape
from bot.services import candidate_cards, code_ballots, lock_check, preference_list, round_status, voting
from bot.slack_gateway import marker_for
from bot.war_room import WarRoom
from handlers.errors import guard
from handlers.gate import action_value, button, clicked, require
from handlers.router import SoapCommand, SoapRouter

log = logging.getLogger(__name__)

LIST_USAGE = ("Use `/soap list` (every code's list), `/soap list categorical` or `/soap list 1234140C0` (one list), "
              "`/soap list 2` (a page), `/soap list lock 1 [code] [confirm]`, `/soap list unlock 1 <reason>`, "
              "`/soap list certified 1 [code]`, `/soap list csv 1 [code]`.")
R3_MAY_HAVE_USED = ("The round's deadline has passed: R3 may already have used the list it had. Check in R3 what "
                    "it holds.")


# --------------------------------------------------------------- buttons on the card


def on_vote(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    actor, program = require(room, body, Access.WRITE, "vote")
    vote = messages.VOTE_BY_ACTION[clicked(body)["action_id"]]
    value = action_value(body)
    result = voting.cast_vote(room.database, program_id=program.id, actor=actor.user_id, aamc_id=value,
                              vote=vote, now=room.clock())
    respond(text=messages.vote_answer(result), response_type="ephemeral", replace_original=False)
    if result.changed:
        candidate_cards.refresh_card(room, program, result.candidate_id)


# --------------------------------------------------------------- text commands


def vote_command(cmd: SoapCommand) -> None:
    key, vote = voting.split_vote(cmd.args.words)
    result = voting.cast_vote(cmd.room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                              aamc_id=key, vote=vote, now=cmd.room.clock())
    cmd.reply(messages.vote_answer(result))
    if result.changed:
        candidate_cards.refresh_card(cmd.room, cmd.program, result.candidate_id)


def votes_command(cmd: SoapCommand) -> None:
    if not cmd.args.words:
        raise BadInput("Use `/soap votes <AAMC ID or name>`, like `/soap votes 12345678`.")
    seen = voting.votes_seen(cmd.room.database, program_id=cmd.program.id, aamc_id=" ".join(cmd.args.words),
                             viewer=cmd.actor.user_id, director=cmd.actor.is_director,
                             votes=cmd.actor.role is not Role.OBSERVER)
    text, blocks = messages.votes_seen_blocks(seen)
    cmd.reply(text, blocks)


def rank_command(cmd: SoapCommand) -> None:
    words = cmd.args.words
    if not words:
        raise BadInput("List candidates best first, by AAMC ID or name: `/soap rank Alvarez, Chen, Okafor`, or "
                       "for one program code only: `/soap rank 1234140P0 Okafor, Núñez, Patel`.")
    result = code_ballots.rank(cmd.room.database, program_id=cmd.program.id, actor=cmd.actor.user_id, words=words)
    cmd.reply(messages.ranking_cleared_answer(result) if isinstance(result, int) else messages.ranking_answer(result))


def change_pin(pinned: bool, cmd: SoapCommand) -> None:
    name = "pin" if pinned else "unpin"
    if not cmd.args.words:
        raise BadInput(f"Use `/soap {name} <AAMC ID or name> [code]`, like `/soap {name} 12345678` (every list) or "
                       f"`/soap {name} 12345678 preliminary` (that code's list).")
    key, code = preference_list.split_code(cmd.room.database, cmd.program.id, cmd.args.words)
    if code is not None:
        place(cmd, key, code, preference_list.PIN if pinned else None, releasing=preference_list.PIN)
        return
    result = voting.set_pin(cmd.room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                            aamc_id=key, pinned=pinned)
    cmd.reply(messages.pin_answer(result, pinned))
    if result.changed:
        cmd.room.gateway.post(cmd.program.channel_id, messages.pin_post(result, cmd.actor.user_id, pinned))
        candidate_cards.refresh_card(cmd.room, cmd.program, result.candidate_id)


def change_exclusion(excluded: bool, cmd: SoapCommand) -> None:
    name = "exclude" if excluded else "include"
    if not cmd.args.words:
        raise BadInput(f"Use `/soap {name} <AAMC ID or name> [code]`, like `/soap {name} 12345678 categorical`.")
    key, code = preference_list.split_code(cmd.room.database, cmd.program.id, cmd.args.words)
    place(cmd, key, code, preference_list.EXCLUDE if excluded else None, releasing=preference_list.EXCLUDE)


def place(cmd: SoapCommand, key: str, code: str | None, kind: PlacementKind | None,
          releasing: PlacementKind) -> None:
    result = preference_list.place(cmd.room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                   candidate_key=key, code=code, kind=kind, now=cmd.room.clock(), releasing=releasing)
    cmd.reply(messages.placement_answer(result))
    if result.changed:
        cmd.room.gateway.post(cmd.program.channel_id, messages.placement_post(result, cmd.actor.user_id))


def _round(text: str | None) -> int:
    try:
        return parse_round(text)
    except ListWordsError as error:
        raise BadInput(escape(str(error))) from None


def list_command(cmd: SoapCommand) -> None:
    room, words = cmd.room, cmd.args.words
    action = words[0].lower() if words else ""
    if action in ("lock", "unlock", "csv", "certified"):
        cmd.actor.require(Access.DIRECTOR, f"{'record as certified' if action == 'certified' else action} "
                                           "the preference list")
        round_number = _round(words[1] if len(words) > 1 else None)
        if action == "lock":
            rest = words[2:]
            confirmed = bool(rest) and rest[-1].lower() == "confirm"
            code = " ".join(rest[:-1] if confirmed else rest) or None
            finished = finish_publishing(room, cmd.program, round_number, code)
            if finished is not None:
                cmd.reply(finished)
            elif confirmed:
                cmd.reply(lock_now(room, cmd.program, cmd.actor.user_id, round_number, code))
            else:
                show_check(cmd, round_number, code)
        elif action == "unlock":
            unlock(cmd, round_number)
        elif action == "certified":
            cmd.reply(certified(room, cmd.program, cmd.actor.user_id, round_number, " ".join(words[2:]) or None))
        else:
            resend_csv(cmd, round_number, " ".join(words[2:]) or None)
        return
    page_words = [w for w in words if w.isascii() and w.isdigit() and len(w) <= 3]
    code_words = [w for w in words if w not in page_words]
    if len(page_words) > 1 or (page_words and words[-1] != page_words[0]):
        raise BadInput(LIST_USAGE)
    page = int(page_words[0]) if page_words else 1
    current = preference_list.current_list(room.database, cmd.program.id, room.people(cmd.program.channel_id))
    only = preference_list.pick_list(current, " ".join(code_words)) if code_words else None
    text, blocks = messages.list_page(current, page, cmd.program.timezone, only=only)
    cmd.reply(text, blocks)


def show_check(cmd: SoapCommand, round_number: int, code: str | None) -> None:
    room = cmd.room
    check = lock_check.check(room.database, program_id=cmd.program.id, round_number=round_number, code=code,
                             committee=room.people(cmd.program.channel_id), now=room.clock())
    if not check.lists:
        raise BadInput(f"There is nothing to lock for round {round_number}: every list with applicants is "
                       "locked already, or no applicant has a vote, an ordering or a pin.")
    text, blocks = lock_check_message(check)
    cmd.reply(text, blocks)


def lock_now(room: WarRoom, program: ProgramRef, actor: str, round_number: int, code: str | None) -> str:
    """Lock the round's lists (or one code's), post each with its CSV; the director's answer."""
    now = room.clock()
    locked = preference_list.lock_round(room.database, program_id=program.id, actor=actor,
                                        round_number=round_number, now=now,
                                        committee=room.people(program.channel_id), code=code)
    timing = round_status.timing(room.database, program.id, round_number, now)
    uploaded = all([publish(room, program, x, timing) for x in locked])
    answer = messages.lock_answer(locked, uploaded)
    return f"{answer} {R3_MAY_HAVE_USED}" if timing.deadline_passed and not timing.offers_expired else answer


def on_lock_button(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    actor, program = require(room, body, Access.DIRECTOR, "lock the preference list")
    action = clicked(body)
    lists = button(ListButton, body)
    round_number, code = lists.round, lists.code
    if action.get("action_id") == ActionId.LIST_LOCK_CANCEL.value:
        respond(text=f"Nothing was locked. Round {round_number}'s lists are as they were.",
                response_type="ephemeral", replace_original=True)
        return
    if lists.check is not None:
        now = lock_check.check(room.database, program_id=program.id, round_number=round_number, code=code,
                               committee=room.people(program.channel_id), now=room.clock())
        if now.fingerprint != lists.check:
            # A vote, a note or an order changed since this check was shown: lock only what was seen.
            text, blocks = lock_check_message(now, changed=True)
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)
            return
    respond(text=lock_now(room, program, actor.user_id, round_number, code), response_type="ephemeral",
            replace_original=True)


def certified(room: WarRoom, program: ProgramRef, actor: str, round_number: int, code: str | None) -> str:
    """Record that the round's locked lists (or one code's) were entered and certified in R3."""
    result = round_status.certify(room.database, program_id=program.id, actor=actor, round_number=round_number,
                                  now=room.clock(), code=code)
    room.gateway.post(program.channel_id, messages.certified_post(result.round, result.lists, actor,
                                                                  R3_MAY_HAVE_USED if result.after_deadline else ""))
    return f"Recorded: round {round_number} is certified in R3. The war room is told."


def on_certified_button(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    actor, program = require(room, body, Access.DIRECTOR, "record a list as certified in R3")
    lists = button(ListButton, body)
    respond(text=certified(room, program, actor.user_id, lists.round, lists.code), response_type="ephemeral",
            replace_original=False)


def unlock(cmd: SoapCommand, round_number: int) -> None:
    room = cmd.room
    now = room.clock()
    unlocked = preference_list.unlock_round(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                            round_number=round_number, reason=cmd.args.rest(2), now=now)
    timing = round_status.timing(room.database, cmd.program.id, round_number, now)
    late = f" {R3_MAY_HAVE_USED}" if timing.deadline_passed and not timing.offers_expired else ""
    room.gateway.post(cmd.program.channel_id, messages.unlocked_post(unlocked, cmd.program.timezone) + late)
    cmd.reply(f"Round {round_number} is unlocked; the war room is told why.{late}")


def resend_csv(cmd: SoapCommand, round_number: int, code: str | None) -> None:
    lists = preference_list.require_locked(cmd.room.database, cmd.program.id, round_number, code)
    uploaded = all([upload_csv(cmd.room, cmd.program, x, again=True) for x in lists])
    cmd.reply(f"The CSV{'s' if len(lists) > 1 else ''} of round {round_number} {'are' if len(lists) > 1 else 'is'} "
              "in the war room." if uploaded
              else f"Slack did not take the CSV; get it with `soapbot export-list --round {round_number}`.")


def lock_post_marker(locked: preference_list.LockedList) -> str:
    return marker_for(f"lock:{locked.snapshot_id}")


def csv_marker(locked: preference_list.LockedList) -> str:
    return marker_for(f"lock-csv:{locked.snapshot_id}")


def finish_publishing(room: WarRoom, program: ProgramRef, round_number: int, code: str | None) -> str | None:
    """Post (or upload the CSV of) a locked list whose publication a process killed after the lock left
    unfinished; the director's answer, or None when every locked list of the round is in the war room."""
    assert room.gateway.posts is not None
    locked = [x for x in preference_list.locked_lists(room.database, program.id, round_number)
              if code is None or code.lower() in ((x.code or "").lower(), x.label.lower(), x.title.lower())]
    # A lock post's intent is stored as its post starts: one without it was posted before the outbox.
    started = [x for x in locked if room.gateway.posts.known(lock_post_marker(x)) is not None]
    unposted = [x for x in started if room.gateway.settle(lock_post_marker(x)) is None]
    unuploaded = [x for x in started if x not in unposted and room.gateway.posts.known(csv_marker(x)) is None]
    if not unposted and not unuploaded:
        return None
    timing = round_status.timing(room.database, program.id, round_number, room.clock())
    done = all([publish(room, program, x, timing) for x in unposted]
               + [upload_csv(room, program, x) for x in unuploaded])
    what = "post and CSV" if unposted else "CSV"
    return (f"Round {round_number} was locked, but its {what} had not reached the war room (the bot was "
            f"interrupted): {'posted now' if done else 'Slack did not take it; ask again'}.")


def publish(room: WarRoom, program: ProgramRef, locked: preference_list.LockedList,
            timing: round_status.RoundTiming) -> bool:
    text, blocks = messages.locked_post(locked, program.name, program.timezone, after_deadline=timing.deadline_passed,
                                        offers_expired=timing.offers_expired)
    try:
        room.gateway.post(program.channel_id, text, blocks, marker=lock_post_marker(locked))
    except SlackApiError as error:
        log.warning("posting the locked list failed: %s", error.response.get("error"))
        return False
    return upload_csv(room, program, locked)


def upload_csv(room: WarRoom, program: ProgramRef, locked: preference_list.LockedList, *,
               again: bool = False) -> bool:
    """The locked list's CSV; `again`: a director asked for it once more (`/soap list csv`)."""
    which = f" {locked.title}" if locked.code else ""
    try:
        room.gateway.upload(
            program.channel_id, content=preference_list.snapshot_csv(locked),
            filename=preference_list.locked_filename(program.name, locked),
            title=f"Round {locked.round}{which} preference list ({len(locked.entries)} candidates)",
            initial_comment=f"Round {locked.round}{escape(which)} preference list of {escape(program.name)} as "
                            "locked: rank, AAMC ID, name, track.",
            marker=None if again else csv_marker(locked))
    except SlackApiError as error:
        log.warning("uploading the list CSV failed: %s", error.response.get("error"))
        return False
    return True


def _pin_entry(router: SoapRouter, pinned: bool) -> None:
    name = "pin" if pinned else "unpin"
    router.subcommand(name, access=Access.DIRECTOR, usage=f"{name} 12345678 [code]",
                      summary=("Puts a candidate first on every list, or on one code's list, whatever the votes "
                               "(directors only)." if pinned
                               else "Lets the votes place a pinned candidate again (directors only)."),
                      what=f"{name} candidates")(functools.partial(change_pin, pinned))


def _exclusion_entry(router: SoapRouter, excluded: bool) -> None:
    name = "exclude" if excluded else "include"
    router.subcommand(name, access=Access.DIRECTOR, usage=f"{name} 12345678 [code]",
                      summary=("Leaves a candidate off one code's list, or every list, whatever the votes "
                               "(directors only)." if excluded
                               else "Lets the votes place an excluded candidate again (directors only)."),
                      what=f"{name} candidates")(functools.partial(change_exclusion, excluded))


def register(app: App, router: SoapRouter) -> None:
    for _, action, _, _ in messages.VOTE_BUTTONS:
        app.action(action.value)(guard(on_vote))
    router.subcommand("vote", access=Access.WRITE, usage="vote 12345678|Alvarez high|rank|if-needed|dnr",
                      summary="Your vote on a candidate (changeable): rank high, rank, only if needed, do not rank.",
                      what="vote")(vote_command)
    router.subcommand("votes", access=Access.READ, usage="votes 12345678",
                      summary="The committee's votes on a candidate, only you see it: who voted what for directors, "
                              "the tally for others (with blind votes, once you have voted on them).")(votes_command)
    router.subcommand("rank", access=Access.WRITE,
                      usage="rank Alvarez, Chen, Okafor | rank 1234140P0 Okafor, Núñez, Patel | rank [code] clear",
                      summary="Your own ordering, best first, by AAMC IDs or names separated by commas (replaces "
                              "your previous one; `rank clear` removes it); a code or label first makes it your "
                              "ballot for that code's list only.",
                      what="rank candidates")(rank_command)
    _pin_entry(router, True)
    _pin_entry(router, False)
    _exclusion_entry(router, True)
    _exclusion_entry(router, False)
    for action_id in (ActionId.LIST_LOCK_CONFIRM, ActionId.LIST_LOCK_CANCEL):
        app.action(action_id.value)(guard(on_lock_button))
    app.action(ActionId.LIST_CERTIFIED.value)(guard(on_certified_button))
    router.subcommand("list", access=Access.READ,
                      usage="list [code|label] [page] | list lock <round> [code] [confirm] | "
                            "list certified|unlock|csv <round> [code|reason]",
                      summary="Each program code's list in the committee's current order, ranked from 1; directors "
                              "lock a round's lists after a check (one CSV per code), record them as certified in "
                              "R3, or unlock them with a reason.",
                      free_text=True)(list_command)


__all__: Sequence[str] = ["register"]
