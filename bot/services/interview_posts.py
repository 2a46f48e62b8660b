"""What the war room sees of interviews: the interview's post and short replies in the candidate's
thread, the scorecard's summary, the interviewer's reminder, and the card redrawn after each.

The interviews service stores and returns values; this module renders them
(`bot.messages.interviews`) and posts them through the gateway. A change is stored before it is
posted, so a Slack failure never undoes it: the person is told it is saved but not posted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update

from bot.access import ProgramRef
from bot.domain.interviews import InterviewState
from bot.messages import interviews as messages
from bot.services import audit, candidate_cards, notes
from bot.services.interviews import POST_GIVE_UP, InterviewChange, ScorecardSaved, interview_line, scorecard_count
from bot.services.programs import program_ref
from bot.war_room import WarRoom
from storage.database import Database
from storage.models import Candidate, Interview, Program, Reminder

log = logging.getLogger(__name__)


def _thread(room: WarRoom, program: ProgramRef, candidate_id: int, actor: str) -> str:
    """The candidate's thread, created if missing, by the notes feature's helper (the card when it can)."""
    with room.database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None
        claim_ = {"thread_ts": candidate.thread_ts, "program": program.id, "aamc_id": candidate.aamc_id,
                  "candidate": candidate.id, "channel": program.channel_id,
                  "name": notes.candidate_name(candidate)}
    return notes.thread_of(room, claim_, actor)


def _store_message_ts(database: Database, interview_id: int, program_id: int, ts: str) -> None:
    with database.transaction() as session:
        session.execute(update(Interview).where(Interview.id == interview_id).values(message_ts=ts)
                        .execution_options(synchronize_session=False))
        audit.record(session, program_id=program_id, actor="bot", action="interview.post",
                     target=f"interview:{interview_id}", after={"message_ts": ts})


def publish(room: WarRoom, program: ProgramRef, change: InterviewChange) -> bool:
    """Show a change in the candidate's thread (the interview's post, a short reply) and on the card.
    Never raises for Slack trouble; False when the thread could not be written."""
    if change.action == "unchanged":
        return True
    tz, now = ZoneInfo(program.timezone), room.clock()
    give_up = now + POST_GIVE_UP
    try:
        thread_ts = _thread(room, program, change.candidate_id, change.actor)
        with room.database.reading() as session:
            message_ts = session.scalar(select(Interview.message_ts).where(Interview.id == change.line.id))
        text, blocks = messages.interview_post(change.line, tz, change.warning)
        if change.created or message_ts is None:
            ts = room.gateway.post(program.channel_id, text, blocks, thread_ts=thread_ts, give_up_at=give_up)
            _store_message_ts(room.database, change.line.id, program.id, ts)
        else:
            room.gateway.update(program.channel_id, message_ts, text, blocks)
        if not change.created:
            text, blocks = messages.event_post(change.action, change.line, change.actor, tz, now, change.note)
            room.gateway.post(program.channel_id, text, blocks, thread_ts=thread_ts, give_up_at=give_up)
    except (SlackApiError, OSError) as error:
        log.warning("interview %d: thread post failed (%s)", change.line.id, type(error).__name__)
        candidate_cards.refresh_card(room, program, change.candidate_id)
        return False
    candidate_cards.refresh_card(room, program, change.candidate_id)
    return True


def publish_scorecard(room: WarRoom, program: ProgramRef, saved: ScorecardSaved) -> bool:
    """Post the scorecard's summary in the thread, redraw the interview's post and the card."""
    tz = ZoneInfo(program.timezone)
    try:
        thread_ts = _thread(room, program, saved.candidate_id, saved.card.author)
        text, blocks = messages.scorecard_post(saved.card, candidate_name=saved.candidate_name,
                                               aamc_id=saved.aamc_id, updated=saved.updated)
        room.gateway.post(program.channel_id, text, blocks, thread_ts=thread_ts,
                          give_up_at=room.clock() + POST_GIVE_UP)
        with room.database.reading() as session:
            interview = session.get(Interview, saved.interview_id)
            candidate = session.get(Candidate, saved.candidate_id)
            assert interview is not None
            assert candidate is not None
            line = interview_line(interview, candidate, scorecard_count(session, interview.id))
            message_ts = interview.message_ts
        if message_ts:
            text, blocks = messages.interview_post(line, tz)
            room.gateway.update(program.channel_id, message_ts, text, blocks)
    except (SlackApiError, OSError) as error:
        log.warning("scorecard for interview %d: thread post failed (%s)", saved.interview_id, type(error).__name__)
        candidate_cards.refresh_card(room, program, saved.candidate_id)
        return False
    candidate_cards.refresh_card(room, program, saved.candidate_id)
    return True


@dataclass(frozen=True)
class ReminderPost:
    channel: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str


def reminder_post(room: WarRoom, key: str, now: datetime, late: bool) -> ReminderPost | None:
    """What the clock posts for an interview reminder, in the candidate's thread; None when the
    interview is no longer scheduled at the reminder's time (nothing to say)."""
    with room.database.reading() as session:
        row = session.get(Reminder, key)
        interview = session.get(Interview, row.interview_id) if row and row.interview_id else None
        if row is None or interview is None or interview.state != InterviewState.SCHEDULED \
                or interview.scheduled_at != row.subject_at or interview.interviewer is None:
            return None
        candidate = session.get(Candidate, interview.candidate_id)
        program = session.get(Program, interview.program_id)
        assert candidate is not None
        assert program is not None
        ref = program_ref(program)
        line = interview_line(interview, candidate)
        line_candidate_id = candidate.id
    thread_ts = _thread(room, ref, line_candidate_id, "clock")
    text, blocks = messages.reminder_post(line, tz=ZoneInfo(ref.timezone), now=now, late=late)
    return ReminderPost(ref.channel_id, text, blocks, thread_ts)
