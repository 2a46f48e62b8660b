"""SOAP interviews as the committee uses them: signed commands, clicks and the scorecard modal, the
Web API stand-in's record of what the war room saw, and the interviewer's reminder from the clock."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bot.bootstrap import build_war_room
from bot.console.payloads import number_input, state_values, static_select
from bot.console.signing import SlackClientSim
from bot.domain.interviews import ScorecardField
from bot.messages.ids import ActionId, CallbackId
from bot.services import reminders
from bot.services.candidate_import import import_export
from storage.models import AuditEvent, Candidate, Interview, Program, Reminder, Scorecard, Vote
from tests.e2e.conftest import DIRECTOR, MEMBERS, OUTSIDER, Served
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn

M1, M2, M3, _ = MEMBERS
A, B = aamc_id(1), aamc_id(2)
MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def candidates(served: Served, war_room: str) -> str:
    with served.room.database.reading() as session:
        program_id = session.scalars(select(Program.id).where(Program.channel_id == war_room)).one()
    rows = [applicant_row(1), applicant_row(2, **{"Last Name": "<!channel> Sampleton"})]
    imported = import_export(served.room.database, program_id, eras_csv(rows), actor=DIRECTOR,
                             today=date(2027, 3, 17), filename="export.csv")
    assert imported.new == 2
    return war_room


def ask(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> dict:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    answer = standin.wait_for("response_url", count=before + 1)[-1].params
    assert answer["response_type"] == "ephemeral"
    return answer


def click(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, action: str, value: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.block_action(user, channel, action, value=value)
    answer = standin.wait_for("response_url", count=before + 1)[-1].params
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


def interviews(served: Served) -> list[Interview]:
    with served.room.database.reading() as session:
        return list(session.scalars(select(Interview).order_by(Interview.id)))


def thread_of(served: Served, aamc: str) -> str:
    with served.room.database.reading() as session:
        ts = session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == aamc))
    assert ts
    return str(ts)


def posts_in_thread(standin: SlackStandIn, channel: str, thread_ts: str) -> list[dict]:
    return [c.params for c in standin.calls_to("chat.postMessage")
            if c.params.get("channel") == channel and c.params.get("thread_ts") == thread_ts]


def card_text(standin: SlackStandIn, channel: str, thread_ts: str) -> str:
    message = standin.message(channel, thread_ts)
    assert message is not None
    return json.dumps(message.get("blocks"))


def scorecard_values(clinical: str = "4", communication: str = "5", reliability: str = "3", fit: str = "4",
                     recommendation: str | None = "rank high", red_flags: str | None = None,
                     comment: str | None = "Clear about why internal medicine; solid ICU rotation.") -> dict:
    return state_values({
        ScorecardField.CLINICAL.value: {"value": number_input(clinical)},
        ScorecardField.COMMUNICATION.value: {"value": number_input(communication)},
        ScorecardField.RELIABILITY.value: {"value": number_input(reliability)},
        ScorecardField.FIT.value: {"value": number_input(fit)},
        ScorecardField.RED_FLAGS.value: {"value": red_flags},
        ScorecardField.RECOMMENDATION.value: {"value": static_select(recommendation)},
        ScorecardField.COMMENT.value: {"value": comment},
    })


def test_propose_claim_queue_refusals_and_a_scorecard_through_the_modal(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, candidates: str) -> None:
    room = candidates
    # Propose: the card starts the candidate's thread, the interview post with its Claim button goes in it.
    answer = ask(slack, standin, M1, room, f"interview {A}")
    assert "proposed" in answer["text"]
    thread = thread_of(served, A)
    post = standin.wait_for("chat.postMessage", count=2)[-1].params
    assert post["channel"] == room
    assert post["thread_ts"] == thread
    assert ActionId.INTERVIEW_CLAIM.value in json.dumps(post["blocks"])
    assert "nobody has claimed it yet" in post["blocks"][0]["text"]["text"]

    # Claim with a time (the fake clock: Wed 17 Mar 2027 09:00 EDT).
    answer = ask(slack, standin, M2, room, f"interview {A} claim 14:30")
    assert "Wed 17 Mar 14:30 EDT" in answer["text"]
    [interview] = interviews(served)
    assert (interview.state, interview.interviewer, interview.scheduled_at) == ("scheduled", M2, utc(17, 18, 30))
    claimed_reply = standin.wait_for("chat.postMessage", count=3)[-1].params
    assert claimed_reply["thread_ts"] == thread
    assert f"<@{M2}> will interview" in claimed_reply["text"]
    assert "Wed 17 Mar 14:30 EDT" in card_text(standin, room, thread)

    # A second claim by another member is refused, naming the holder; nothing changes.
    refusal = click(slack, standin, M3, room, ActionId.INTERVIEW_CLAIM.value, A)
    assert f"<@{M2}> holds this interview" in refusal
    refusal = ask(slack, standin, M3, room, f"interview {A} claim tomorrow 10:00")["text"]
    assert f"<@{M2}> holds this interview" in refusal
    assert [(i.interviewer, i.scheduled_at) for i in interviews(served)] == [(M2, utc(17, 18, 30))]

    # Bad times: a specific error each, nothing stored.
    assert "is in the past" in ask(slack, standin, M2, room, f"interview {A} claim 08:00")["text"]
    assert "Could not understand 'soonish'" in ask(slack, standin, M2, room, f"interview {A} claim soonish")["text"]
    assert "does not exist" in ask(slack, standin, M2, room, f"interview {A} claim 2027-03-14 02:30")["text"]
    assert interviews(served)[0].scheduled_at == utc(17, 18, 30)

    # Someone outside the committee can neither propose nor claim.
    assert "Only members of this program's war-room channel" in ask(
        slack, standin, OUTSIDER, room, f"interview {B}")["text"]
    assert "Only members" in click(slack, standin, OUTSIDER, room, ActionId.INTERVIEW_CLAIM.value, A)
    assert "Only members" in click(slack, standin, OUTSIDER, room, ActionId.INTERVIEW_PROPOSE.value, B)
    assert len(interviews(served)) == 1

    # The queue: the scheduled interview with its interviewer and time; another proposed one unclaimed.
    ask(slack, standin, DIRECTOR, room, f"interview {B}")
    queue = ask(slack, standin, M1, room, "interviews")
    assert f"<@{M2}>, Wed 17 Mar 14:30 EDT" in queue["text"]
    assert "Proposed, nobody has claimed them (1)" in queue["text"]
    assert "&lt;!channel&gt; Sampleton" in queue["text"]
    assert "<!channel>" not in json.dumps(queue)

    # The scorecard: the interviewer opens it from the card, submits it through the modal.
    assert "only the interviewer" in click(slack, standin, M1, room, ActionId.SCORECARD_OPEN.value, A)
    slack.block_action(M2, room, ActionId.SCORECARD_OPEN.value, value=A)
    opened = standin.wait_for("views.open")[-1].params
    metadata = json.loads(opened["view"])["private_metadata"] if isinstance(opened["view"], str) \
        else opened["view"]["private_metadata"]
    bad = slack.view_submission(M2, CallbackId.SCORECARD_MODAL.value, scorecard_values(clinical="7"), metadata)
    assert bad.body["response_action"] == "errors"
    assert "1 to 5" in bad.body["errors"][ScorecardField.CLINICAL.value]
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Scorecard)) == 0

    before = len(standin.calls_to("chat.postMessage"))
    ok = slack.view_submission(M2, CallbackId.SCORECARD_MODAL.value,
                               scorecard_values(red_flags="Vague about a <!channel> gap year"), metadata)
    assert ok.status == 200
    summary = standin.wait_for("chat.postMessage", count=before + 1)[-1].params
    assert summary["thread_ts"] == thread
    assert "recommends *rank high*" in json.dumps(summary["blocks"])
    assert "Clinical readiness *4*" in json.dumps(summary["blocks"])
    assert "<!channel>" not in json.dumps(summary)
    ephemeral = standin.wait_for("chat.postEphemeral")[-1].params
    assert ephemeral["user"] == M2
    assert "counts as your vote" in ephemeral["text"]
    card = card_text(standin, room, thread)
    assert "Clinical *4.0*" in card
    assert "Communication *5.0*" in card
    assert "Recommendation: *rank high*" in card
    assert "Red flags heard in 1 of 1 scorecard" in card
    with served.room.database.reading() as session:
        vote = session.scalar(select(Vote).where(Vote.user_id == M2))
        assert vote is not None
        assert (vote.choice, vote.source) == ("rank high", "scorecard")
        assert session.scalars(select(Interview.state).where(Interview.id == interview.id)).one() == "done"
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("interview.%")
                                                                      | AuditEvent.action.like("scorecard.%"))))
    assert {"interview.propose", "interview.claim", "interview.done", "scorecard.file"} <= actions
    # Everything went to the war room only.
    assert {c.params["channel"] for c in standin.calls_to("chat.postMessage")} == {room}


def test_own_vote_stays_and_outcomes_keep_the_first_contact(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, candidates: str) -> None:
    room = candidates
    ask(slack, standin, M1, room, f"vote {A} if-needed")
    ask(slack, standin, M1, room, f"interview {A} claim 2027-03-18 10:00")
    warning = ask(slack, standin, M1, room, f"interview {A} claim 2027-03-18 10:00")
    assert "already hold" in warning["text"]
    moved = ask(slack, standin, M1, room, f"interview {A} claim 2027-03-18 10:30")["text"]
    assert "after the round 1 preference-list deadline (Thu 18 Mar 08:55 EDT)" in moved

    ask(slack, standin, M1, room, f"interview {A} unreachable left a voicemail, didn't pick up")
    first = interviews(served)[0].first_contact_at
    assert first == utc(17, 13)
    served.clock.advance(hours=3, minutes=20)
    ask(slack, standin, M1, room, f"interview {A} unreachable second try")
    assert interviews(served)[0].first_contact_at == first
    served.clock.advance(minutes=40)
    done = ask(slack, standin, M1, room, f"interview {A} done")["text"]
    assert "/soap scorecard" in done
    assert "answered 4 h after the first try" in card_text(standin, room, thread_of(served, A))
    assert "no open interview" in ask(slack, standin, M2, room, f"interview {A} declined")["text"]

    slack.command(f"scorecard {A}", M1, room)
    opened = standin.wait_for("views.open")[-1].params
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    slack.view_submission(M1, CallbackId.SCORECARD_MODAL.value, scorecard_values(recommendation="rank"),
                          view["private_metadata"])
    ephemeral = standin.wait_for("chat.postEphemeral")[-1].params
    assert "Your own vote (*only if needed*) stays" in ephemeral["text"]
    with served.room.database.reading() as session:
        vote = session.scalar(select(Vote).where(Vote.user_id == M1))
        assert vote is not None
        assert (vote.choice, vote.source) == ("only if needed", "vote")
        assert session.scalar(select(func.count()).select_from(Scorecard)) == 1


def test_the_interviewers_reminder_fires_once_in_the_thread_even_after_a_clock_restart(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, candidates: str) -> None:
    room = candidates
    ask(slack, standin, M2, room, f"interview {A} claim 14:30")  # 18:30 UTC
    thread = thread_of(served, A)

    def interview_reminders() -> list[dict]:
        return [p for p in posts_in_thread(standin, room, thread) if ":alarm_clock:" in p["text"]]

    served.clock.set(utc(17, 18, 19))
    assert [k for k in reminders.tick(served.room, "clock-1") if ":i" in k] == []
    served.clock.set(utc(17, 18, 20))  # 10 minutes before
    sent = reminders.tick(served.room, "clock-1")
    assert len([k for k in sent if ":i1:interview-10:" in k]) == 1
    [reminder] = interview_reminders()
    assert MENTION.findall(reminder["text"]) == [M2]
    assert "14:30 EDT (in 10 min)" in reminder["text"]
    assert reminders.tick(served.room, "clock-1") == []

    # The clock process restarts: a new war room and clock id, same database, a little later.
    restarted = build_war_room(served.settings, clock=FakeClock(utc(17, 18, 21)), sleep=lambda _s: None)
    assert reminders.tick(restarted, "clock-2") == []
    restarted_again = build_war_room(served.settings, clock=FakeClock(utc(17, 18, 25)), sleep=lambda _s: None)
    assert reminders.tick(restarted_again, "clock-3") == []
    assert len(interview_reminders()) == 1
    with served.room.database.reading() as session:
        rows = list(session.scalars(select(Reminder).where(Reminder.kind == "interview")))
    assert [(r.state, r.interview_id, r.due_at) for r in rows] == [("sent", 1, utc(17, 18, 20))]


def test_rescheduling_moves_the_reminder_and_an_outcome_cancels_it(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, candidates: str) -> None:
    room = candidates
    ask(slack, standin, M2, room, f"interview {A} claim 14:30")
    ask(slack, standin, M2, room, f"interview {A} claim 15:00")
    with served.room.database.reading() as session:
        rows = {r.due_at: r.state for r in session.scalars(select(Reminder).where(Reminder.kind == "interview"))}
    assert rows == {utc(17, 18, 20): "cancelled", utc(17, 18, 50): "pending"}
    ask(slack, standin, M2, room, f"interview {A} declined applicant withdrew")
    served.clock.set(utc(17, 18, 50))
    assert reminders.tick(served.room, "clock-1") == []
    assert [p for p in posts_in_thread(standin, room, thread_of(served, A)) if ":alarm_clock:" in p["text"]] == []


def test_a_claim_time_with_a_mention_is_refused_without_pinging_anyone(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, candidates: str) -> None:
    answer = ask(slack, standin, M1, candidates, f"interview {A} claim <!channel> 09:00")["text"]
    assert "&lt;!channel&gt;" in answer
    assert "<!channel>" not in standin.all_text()
    assert interviews(served) == []
