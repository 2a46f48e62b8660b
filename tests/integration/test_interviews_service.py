"""The interviews service on every backend: states and who may change them, the reminder rows it keeps
for the rounds feature's sender, scorecards and the vote they record, the queue and the card section."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.access import ProgramRef
from bot.bootstrap import SETUP_HOOKS, build_war_room
from bot.domain.cards import CardViewer
from bot.domain.interviews import ScorecardField
from bot.errors import BadInput, CandidateNotFound, Conflict
from bot.messages import interviews as interview_messages
from bot.messages.ids import ActionId
from bot.services import interview_posts, interviews, programs, reminders, schedule, voting
from bot.services.candidate_import import import_export
from bot.settings import load_settings
from bot.war_room import WarRoom
from storage.database import Database
from storage.models import AuditEvent, Candidate, Interview, Reminder, Scorecard, Vote
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn

CHANNEL = "G0INTERVW1"
DIRECTOR, M1, M2 = "U0DIRECTOR", "U0MEMBER01", "U0MEMBER02"
A, B, C = aamc_id(1), aamc_id(2), aamc_id(3)
assert schedule.seed_default_calendar in SETUP_HOOKS  # the rounds feature seeds the calendar at setup
NOW = datetime(2027, 3, 17, 13, 0, tzinfo=UTC)  # Wed 17 Mar 09:00 EDT


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as api:
        api.set_channel(CHANNEL, name="soap-war-room", is_private=True)
        api.set_members(CHANNEL, [DIRECTOR, M1, M2])
        yield api


def _room(database: Database, standin: SlackStandIn, at: datetime = NOW) -> WarRoom:
    settings = load_settings(env_file=None, slack_bot_token="xoxb-interviews-test", slack_signing_secret="s" * 32,
                             slack_api_url=standin.url, database_url=database.url, slack_app_token=None)
    return build_war_room(settings, clock=FakeClock(at), sleep=lambda _s: None)


@pytest.fixture
def room(database: Database, standin: SlackStandIn) -> WarRoom:
    return _room(database, standin)


@pytest.fixture
def program(database: Database) -> ProgramRef:
    ref, _ = programs.setup_war_room(database, name="IM Interviews", team_id="T0TEST", user_id=DIRECTOR,
                                     channel=programs.ChannelFacts(CHANNEL, is_private=True), seed=SETUP_HOOKS,
                                     timezone="America/New_York", members=frozenset({DIRECTOR, M1, M2}))
    result = import_export(database, ref.id, eras_csv([applicant_row(1), applicant_row(2), applicant_row(3)]),
                           filename="e.csv", actor=DIRECTOR, today=date(2027, 3, 17))
    assert result.ok
    return ref


def _interviews(database: Database) -> list[Interview]:
    with database.reading() as session:
        return list(session.scalars(select(Interview).order_by(Interview.id)))


def _reminders(database: Database) -> list[tuple[datetime, str, int | None]]:
    with database.reading() as session:
        return [(r.due_at, r.state, r.interview_id) for r in session.scalars(
            select(Reminder).where(Reminder.kind == "interview").order_by(Reminder.due_at))]


def _snapshot(database: Database) -> list[tuple]:
    return [(i.state, i.interviewer, i.scheduled_at, i.first_contact_at, i.reached_at, i.outcome_note)
            for i in _interviews(database)] + [tuple(_reminders(database))]


def _raw(recommendation: str = "rank high", clinical: str = "4", **text: str | None) -> dict:
    return {ScorecardField.CLINICAL: clinical, ScorecardField.COMMUNICATION: "5", ScorecardField.RELIABILITY: "3",
            ScorecardField.FIT: "4", ScorecardField.RECOMMENDATION: recommendation,
            ScorecardField.RED_FLAGS: text.get("red_flags"), ScorecardField.COMMENT: text.get("comment")}


# --- propose and claim ------------------------------------------------------------------------------


def test_propose_once_then_claim_with_a_time_and_refuse_another_member(database: Database,
                                                                     program: ProgramRef) -> None:
    change = interviews.propose(database, program=program, actor=M1, key=A, now=NOW)
    assert (change.action, change.created, change.line.state) == ("proposed", True, "proposed")
    with pytest.raises(Conflict, match=f"proposed by <@{M1}> and not claimed yet"):
        interviews.propose(database, program=program, actor=M2, key=A, now=NOW)

    claimed = interviews.claim(database, program=program, actor=M2, key=A, when="14:30", now=NOW)
    assert (claimed.action, claimed.line.interviewer, claimed.line.scheduled_at) == ("claimed", M2, utc(17, 18, 30))
    assert claimed.warning is None
    before = _snapshot(database)
    with pytest.raises(Conflict, match=rf"<@{M2}> holds this interview, Wed 17 Mar 14:30 EDT"):
        interviews.claim(database, program=program, actor=M1, key=A, when="15:00", now=NOW)
    with pytest.raises(Conflict, match=rf"<@{M2}> holds"):
        interviews.claim(database, program=program, actor=DIRECTOR, key=A, when=None, now=NOW)
    for bad in ("08:00", "noonish", "2027-03-14 02:30", "25:00"):
        with pytest.raises(BadInput):
            interviews.claim(database, program=program, actor=M2, key=A, when=bad, now=NOW)
    with pytest.raises(CandidateNotFound):
        interviews.claim(database, program=program, actor=M2, key="29999999", when="14:00", now=NOW)
    assert _snapshot(database) == before

    with database.reading() as session:
        audits = [(a.action, a.before, a.after) for a in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("interview.%")).order_by(AuditEvent.id))]
    assert [a[0] for a in audits] == ["interview.propose", "interview.claim"]
    assert audits[1][1]["state"] == "proposed"
    assert audits[1][2]["state"] == "scheduled"
    assert audits[1][2]["scheduled_at"] == utc(17, 18, 30).isoformat()


def test_claim_without_a_proposal_proposes_and_claims_and_warns_after_the_deadline(
        database: Database, program: ProgramRef) -> None:
    change = interviews.claim(database, program=program, actor=M1, key=B, when="2027-03-18 09:30", now=NOW)
    assert change.created
    assert change.line.proposed_by == M1
    assert change.warning is not None
    assert (change.warning.round, change.warning.deadline_at) == (1, utc(18, 12, 55))
    # Before the deadline: no warning; a time not set yet: no warning either.
    again = interviews.claim(database, program=program, actor=M1, key=B, when="2027-03-18 08:00", now=NOW)
    assert (again.action, again.warning) == ("rescheduled", None)
    assert interviews.claim(database, program=program, actor=M2, key=C, when=None, now=NOW).warning is None


def test_reminder_rows_follow_the_schedule(database: Database, program: ProgramRef) -> None:
    interviews.claim(database, program=program, actor=M1, key=A, when="14:30", now=NOW)
    [iv] = _interviews(database)
    assert _reminders(database) == [(utc(17, 18, 20), "pending", iv.id)]
    interviews.claim(database, program=program, actor=M1, key=A, when="16:00", now=NOW)
    assert _reminders(database) == [(utc(17, 18, 20), "cancelled", iv.id), (utc(17, 19, 50), "pending", iv.id)]
    interviews.claim(database, program=program, actor=M1, key=A, when="14:30", now=NOW)  # back: the row revives
    assert _reminders(database) == [(utc(17, 18, 20), "pending", iv.id), (utc(17, 19, 50), "cancelled", iv.id)]
    # Claimed less than ten minutes ahead: due at once.
    interviews.claim(database, program=program, actor=M2, key=B, when="09:05", now=NOW)
    assert (NOW, "pending") in [(due, state) for due, state, _ in _reminders(database)]
    interviews.record_outcome(database, program=program, actor=M1, is_director=False, key=A, outcome="declined",
                              note=None, now=NOW)
    assert [state for _, state, i in _reminders(database) if i == iv.id] == ["cancelled", "cancelled"]


# --- outcomes ---------------------------------------------------------------------------------------


def test_outcomes_by_the_interviewer_or_a_director_and_unreachable_keeps_the_first_try(
        database: Database, program: ProgramRef) -> None:
    interviews.claim(database, program=program, actor=M1, key=A, when="10:00", now=NOW)
    with pytest.raises(Conflict, match=f"<@{M1}> holds"):
        interviews.record_outcome(database, program=program, actor=M2, is_director=False, key=A, outcome="done",
                                  note=None, now=NOW)
    with pytest.raises(BadInput, match="keep it to 3,000"):
        interviews.record_outcome(database, program=program, actor=M1, is_director=False, key=A,
                                  outcome="unreachable", note="x" * 3001, now=NOW)
    first_try = NOW + timedelta(hours=1)
    interviews.record_outcome(database, program=program, actor=M1, is_director=False, key=A, outcome="unreachable",
                              note="voicemail &amp; text", now=first_try)
    interviews.claim(database, program=program, actor=M1, key=A, when="15:00", now=first_try)
    interviews.record_outcome(database, program=program, actor=M1, is_director=False, key=A, outcome="unreachable",
                              note=None, now=first_try + timedelta(hours=1))
    [iv] = _interviews(database)
    assert (iv.state, iv.first_contact_at, iv.outcome_note) == ("unreachable", first_try, "voicemail & text")
    retry = interviews.claim(database, program=program, actor=M1, key=A, when=None, now=utc(17, 20))
    assert (retry.line.state, retry.line.scheduled_at) == ("scheduled", None)  # 15:00 has passed: time not set
    interviews.record_outcome(database, program=program, actor=M1, is_director=False, key=A, outcome="unreachable",
                              note=None, now=utc(17, 20))
    reached = first_try + timedelta(hours=4, minutes=5)
    done = interviews.record_outcome(database, program=program, actor=DIRECTOR, is_director=True, key=A,
                                     outcome="done", note=None, now=reached)
    assert done.line.reached_at == reached
    assert done.line.interviewer == M1  # a director records it for the interviewer
    with pytest.raises(interviews.InterviewNotFound, match="no open interview"):
        interviews.record_outcome(database, program=program, actor=M1, is_director=False, key=A, outcome="done",
                                  note=None, now=reached)
    # A new interview may be proposed once the last one is done.
    assert interviews.propose(database, program=program, actor=M2, key=A, now=reached).created


def test_an_unclaimed_interview_done_by_a_member_makes_them_the_interviewer(database: Database,
                                                                           program: ProgramRef) -> None:
    interviews.propose(database, program=program, actor=M1, key=A, now=NOW)
    change = interviews.record_outcome(database, program=program, actor=M2, is_director=False, key=A,
                                       outcome="done", note="called them between rounds", now=NOW)
    assert (change.line.interviewer, change.line.state) == (M2, "done")
    interviews.propose(database, program=program, actor=M1, key=B, now=NOW)
    declined = interviews.record_outcome(database, program=program, actor=M2, is_director=False, key=B,
                                         outcome="declined", note=None, now=NOW)
    assert declined.line.interviewer is None


# --- scorecards and the vote -------------------------------------------------------------------------


def _vote(database: Database, user: str) -> tuple[str, str] | None:
    with database.reading() as session:
        row = session.scalar(select(Vote).where(Vote.user_id == user))
        return (row.choice, row.source) if row else None


def test_scorecards_record_the_vote_unless_the_member_voted_themselves(database: Database,
                                                                      program: ProgramRef) -> None:
    interviews.propose(database, program=program, actor=M1, key=A, now=NOW)
    with pytest.raises(Conflict, match="claim it first"):
        interviews.submit_scorecard(database, program=program, actor=M1, key=A, raw=_raw(), now=NOW)
    interviews.claim(database, program=program, actor=M1, key=A, when="10:00", now=NOW)
    with pytest.raises(Conflict, match=f"<@{M1}> holds the interview"):
        interviews.scorecard_target(database, program=program, actor=M2, key=A)
    with pytest.raises(interviews.ScorecardInputError) as bad:
        interviews.submit_scorecard(database, program=program, actor=M1, key=A, raw=_raw(clinical="9"), now=NOW)
    assert list(bad.value.errors) == [ScorecardField.CLINICAL.value]

    saved = interviews.submit_scorecard(database, program=program, actor=M1, key=A, raw=_raw(), now=NOW)
    assert (saved.updated, saved.vote_recorded) == (False, True)
    assert _vote(database, M1) == ("rank high", "scorecard")
    assert _interviews(database)[0].state == "done"
    assert _reminders(database)[0][1] == "cancelled"
    # Filing again corrects the scorecard and its scorecard-sourced vote.
    again = interviews.submit_scorecard(database, program=program, actor=M1, key=A, raw=_raw("if needed"), now=NOW)
    assert (again.updated, again.vote_recorded) == (True, True)
    assert _vote(database, M1) == ("only if needed", "scorecard")
    assert interviews.scorecard_target(database, program=program, actor=M1, key=A).existing is not None
    # The member votes themselves: a later scorecard never changes that vote.
    voting.cast_vote(database, program_id=program.id, actor=M1, aamc_id=A, vote=voting.Vote.DO_NOT_RANK, now=NOW)
    third = interviews.submit_scorecard(database, program=program, actor=M1, key=A, raw=_raw("rank"), now=NOW)
    assert (third.vote_recorded, third.own_vote) == (False, "do not rank")
    assert _vote(database, M1) == ("do not rank", "vote")
    with database.reading() as session:
        cards = list(session.scalars(select(Scorecard)))
        audits = [(a.action, a.after) for a in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("scorecard.%")).order_by(AuditEvent.id))]
    assert [(c.recommendation, c.author) for c in cards] == [("rank", M1)]
    assert [a[0] for a in audits] == ["scorecard.file", "scorecard.update", "scorecard.update"]
    assert "comment" not in audits[0][1]  # lengths only, never the text


# --- the queue and the card --------------------------------------------------------------------------


def test_queue_orders_unclaimed_oldest_first_and_keeps_only_todays_done(database: Database,
                                                                        program: ProgramRef) -> None:
    interviews.propose(database, program=program, actor=M1, key=B, now=NOW - timedelta(hours=1))
    interviews.propose(database, program=program, actor=M1, key=C, now=NOW - timedelta(hours=3))
    interviews.claim(database, program=program, actor=M2, key=A, when="13:00", now=NOW - timedelta(days=1))
    yesterday_late = utc(17, 3, 30)  # 23:30 EDT on Tue 16: not today in New York, although it is in UTC
    interviews.record_outcome(database, program=program, actor=M2, is_director=False, key=A, outcome="done",
                              note=None, now=yesterday_late)
    queue = interviews.queue(database, program=program, now=NOW)
    assert [line.aamc_id for line in queue.unclaimed] == [C, B]
    assert queue.done_today == ()
    interviews.claim(database, program=program, actor=M2, key=B, when="11:00", now=NOW)
    interviews.claim(database, program=program, actor=M1, key=C, when="10:00", now=NOW)
    later = interviews.queue(database, program=program, now=NOW)
    assert [(line.aamc_id, line.interviewer) for line in later.scheduled] == [(C, M1), (B, M2)]
    interviews.record_outcome(database, program=program, actor=M1, is_director=False, key=C, outcome="done",
                              note=None, now=NOW + timedelta(hours=2))
    assert [line.aamc_id for line in interviews.queue(database, program=program, now=NOW).done_today] == [C]


def test_card_section_buttons_follow_the_state(database: Database, program: ProgramRef) -> None:
    def section() -> tuple[tuple[str, ...], tuple[str, ...]]:
        with database.reading() as session:
            candidate = session.scalars(select(Candidate).where(Candidate.aamc_id == A)).one()
            found = interviews.interview_card_section(session, candidate, CardViewer())
        return found.lines, tuple(b.action_id for b in found.buttons)

    assert section() == (("No interview yet.",), (ActionId.INTERVIEW_PROPOSE.value,))
    interviews.propose(database, program=program, actor=M1, key=A, now=NOW)
    assert section()[1] == (ActionId.INTERVIEW_CLAIM.value,)
    interviews.claim(database, program=program, actor=M2, key=A, when="14:30", now=NOW)
    lines, buttons = section()
    assert f"<@{M2}> interviews on *Wed 17 Mar 14:30 EDT*" in lines[0]
    assert buttons == (ActionId.SCORECARD_OPEN.value,)
    interviews.submit_scorecard(database, program=program, actor=M2, key=A, raw=_raw(), now=NOW)
    lines, buttons = section()
    assert buttons == (ActionId.INTERVIEW_PROPOSE.value, ActionId.SCORECARD_OPEN.value)
    assert "Clinical *4.0*" in lines[1]


# --- the reminder, sent by the rounds feature's clock ----------------------------------------------------


def test_two_clocks_at_once_post_the_interview_reminder_once_in_the_thread(
        database: Database, program: ProgramRef, standin: SlackStandIn) -> None:
    room = _room(database, standin)
    change = interviews.claim(database, program=program, actor=M1, key=A, when="14:30", now=NOW)
    assert interview_posts.publish(room, program, change)
    with database.reading() as session:
        thread = session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == A))
    due = utc(17, 18, 20)
    clocks = [_room(database, standin, due) for _ in range(3)]
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda r=r, i=i: results.append(
        reminders.run_due_reminders(r, due, f"clock-{i}"))) for i, r in enumerate(clocks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(r) for r in results) == 1
    posts = [c.params for c in standin.calls_to("chat.postMessage") if ":alarm_clock:" in c.params["text"]]
    assert len(posts) == 1
    assert posts[0]["thread_ts"] == thread
    assert posts[0]["channel"] == CHANNEL
    assert f"<@{M1}>" in posts[0]["text"]


def test_a_reminder_for_an_interview_moved_meanwhile_is_not_posted(database: Database, program: ProgramRef,
                                                                 standin: SlackStandIn) -> None:
    interviews.claim(database, program=program, actor=M1, key=A, when="14:30", now=NOW)
    with database.transaction() as session:  # the interview moved without re-planning (a stale row)
        session.execute(Interview.__table__.update().values(scheduled_at=utc(17, 20)))
    assert reminders.run_due_reminders(_room(database, standin), utc(17, 18, 20), "clock-1") == []
    assert _reminders(database) == [(utc(17, 18, 20), "sent", 1)]
    assert standin.calls_to("chat.postMessage") == []


def test_an_interview_before_the_review_time_is_refused_and_the_post_reminds_of_nrmp_rules(
        database: Database, program: ProgramRef) -> None:
    monday = utc(15, 16)  # Mon 15 Mar 2027 12:00 EDT: SOAP has begun, review starts Tue 08:00 EDT
    with pytest.raises(BadInput, match="only from Tue 16 Mar 08:00 EDT"):
        interviews.claim(database, program=program, actor=M1, key=A, when="2027-03-16 07:30", now=monday)
    assert _interviews(database) == []
    claimed = interviews.claim(database, program=program, actor=M1, key=A, when="2027-03-16 08:00", now=monday)
    assert claimed.line.scheduled_at == utc(16, 12)
    _text, blocks = interview_messages.interview_post(claimed.line, ZoneInfo("America/New_York"))
    assert "NRMP forbids asking an applicant to commit" in json.dumps(blocks)
