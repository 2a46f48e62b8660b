"""SOAP interviews: `/soap interview`, `/soap interviews`, `/soap scorecard`, the card's and thread's
buttons (Interview, Claim, Scorecard) and the scorecard modal.

Thin adapters over `bot.services.interviews` (which explains the behaviour). The candidate is the
first word after the subcommand (an AAMC ID, or a one-word name fragment); the rest is the claim's
time or the outcome's note, taken as free text (a note may hold an apostrophe).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond

from bot.access import Access, ProgramRef
from bot.domain.interviews import ScorecardField
from bot.errors import BadInput, WarRoomError
from bot.messages import interviews as messages
from bot.messages.ids import ActionId, CallbackId
from bot.messages.mrkdwn import escape
from bot.services import candidate_lookup, interview_posts, interviews
from bot.war_room import WarRoom
from handlers import gate
from handlers.errors import guard
from handlers.router import SoapCommand, SoapRouter

USAGE = ("Use `/soap interview <AAMC ID>` to propose, `/soap interview <AAMC ID> claim [tomorrow 09:00]` to take "
         "it, `/soap interview <AAMC ID> done|unreachable|declined [note]` to record how it went.")


def answer_change(room: WarRoom, program: ProgramRef, change: interviews.InterviewChange) -> str:
    posted = interview_posts.publish(room, program, change)
    tz = ZoneInfo(program.timezone)
    if change.action == "unchanged":
        return (f"You already hold the interview with *{escape(change.line.candidate_name)}*. "
                "Give a new time to move it: `/soap interview "
                f"{escape(change.line.aamc_id)} claim tomorrow 09:00`.")
    return messages.change_answer(change.action, change.line, tz, room.clock(), change.warning, posted)


def interview(cmd: SoapCommand) -> None:
    words = cmd.args.words
    if not words:
        raise BadInput(USAGE)
    verbs = {"claim", *interviews.OUTCOMES}
    key, count = candidate_lookup.leading_applicant(cmd.room.database, cmd.program.id, words,
                                                    rest_fits=lambda rest: not rest or rest[0].lower() in verbs)
    verb = words[count].lower() if len(words) > count else ""
    if not verb:
        change = interviews.propose(cmd.room.database, program=cmd.program, actor=cmd.actor.user_id, key=key,
                                    now=cmd.room.clock())
    elif verb == "claim":
        change = interviews.claim(cmd.room.database, program=cmd.program, actor=cmd.actor.user_id, key=key,
                                  when=cmd.args.rest(count + 1), now=cmd.room.clock())
    elif verb in interviews.OUTCOMES:
        change = interviews.record_outcome(cmd.room.database, program=cmd.program, actor=cmd.actor.user_id,
                                           is_director=cmd.actor.is_director, key=key, outcome=verb,
                                           note=cmd.args.rest(count + 1), now=cmd.room.clock())
    else:
        raise BadInput(f"`{escape(verb[:30])}` is not something an interview can do. {USAGE}")
    cmd.reply(answer_change(cmd.room, cmd.program, change))


def queue(cmd: SoapCommand) -> None:
    found = interviews.queue(cmd.room.database, program=cmd.program, now=cmd.room.clock())
    text, blocks = messages.queue_message(found, tz=ZoneInfo(cmd.program.timezone), now=cmd.room.clock(),
                                          viewer=cmd.actor.user_id)
    cmd.reply(text, blocks)


def open_scorecard(room: WarRoom, program: ProgramRef, user_id: str, key: str, trigger_id: str | None) -> None:
    target = interviews.scorecard_target(room.database, program=program, actor=user_id, key=key)
    view = messages.scorecard_modal(candidate_name=target.candidate_name, aamc_id=target.aamc_id,
                                    private_metadata=gate.view_metadata(program.id, candidate=target.aamc_id),
                                    initial=target.existing)
    room.gateway.call("views.open", give_up_at=room.clock() + timedelta(seconds=2), trigger_id=trigger_id,
                      view=view)


def scorecard(cmd: SoapCommand) -> None:
    if not cmd.args.words:
        raise BadInput("Use `/soap scorecard <AAMC ID or name>`.")
    open_scorecard(cmd.room, cmd.program, cmd.actor.user_id, " ".join(cmd.args.words), cmd.trigger_id)


def propose_button(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    actor, program = gate.require(room, body, Access.WRITE, "propose or claim interviews")
    change = interviews.propose(room.database, program=program, actor=actor.user_id, key=gate.action_value(body),
                                now=room.clock())
    respond(text=answer_change(room, program, change), response_type="ephemeral", replace_original=False)


def claim_button(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    actor, program = gate.require(room, body, Access.WRITE, "propose or claim interviews")
    change = interviews.claim(room.database, program=program, actor=actor.user_id, key=gate.action_value(body),
                              when=None, now=room.clock())
    respond(text=answer_change(room, program, change), response_type="ephemeral", replace_original=False)


def scorecard_button(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    actor, program = gate.require(room, body, Access.WRITE, "file scorecards")
    open_scorecard(room, program, actor.user_id, gate.action_value(body), body.get("trigger_id"))


def submit_scorecard(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    raw = messages.read_scorecard(((body.get("view") or {}).get("state") or {}).get("values") or {})
    key = str(gate.read_view_metadata(body).get("candidate") or "")
    try:
        actor, program = gate.require(room, body, Access.WRITE, "file scorecards")
        saved = interviews.submit_scorecard(room.database, program=program, actor=actor.user_id, key=key,
                                            raw=raw, now=room.clock())
    except interviews.ScorecardInputError as error:
        ack(response_action="errors", errors=error.errors)
        return
    except WarRoomError as error:
        ack(response_action="errors", errors={ScorecardField.RECOMMENDATION.value: str(error)[:2000]})
        return
    ack()
    posted = interview_posts.publish_scorecard(room, program, saved)
    room.gateway.post_ephemeral(program.channel_id, actor.user_id, messages.scorecard_answer(
        candidate_name=saved.candidate_name, aamc_id=saved.aamc_id, recommendation=saved.card.recommendation,
        vote_recorded=saved.vote_recorded, own_vote=saved.own_vote, posted=posted))


def register(app: App, router: SoapRouter) -> None:
    router.subcommand("interview", access=Access.WRITE, usage="interview 12345678 [claim tomorrow 09:00 | "
                      "done|unreachable|declined note]",
                      summary="Proposes an interview; `claim [when]` makes you the interviewer; "
                              "`done|unreachable|declined [note]` records how it went.",
                      what="propose or claim interviews", free_text=True)(interview)
    router.subcommand("interviews", access=Access.READ, usage="interviews",
                      summary="The interview queue: unclaimed, scheduled, done today (only you see it).")(queue)
    router.subcommand("scorecard", access=Access.WRITE, usage="scorecard 12345678",
                      summary="Opens the interview scorecard (the interviewer's).", what="file scorecards")(scorecard)
    app.action(ActionId.INTERVIEW_PROPOSE.value)(guard(propose_button))
    app.action(ActionId.INTERVIEW_CLAIM.value)(guard(claim_button))
    app.action(ActionId.SCORECARD_OPEN.value)(guard(scorecard_button))
    app.view(CallbackId.SCORECARD_MODAL.value)(guard(submit_scorecard))
