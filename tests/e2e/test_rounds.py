"""The SOAP calendar and its reminders, as the committee sees them: signed `/soap schedule`
requests, votes cast through `/soap vote`, reminders sent by the clock's function with a fake
clock, and what the Web API stand-in recorded."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select, update

from bot.console.payloads import BOT_USER_ID
from bot.console.signing import SlackClientSim
from bot.services import reminders
from storage.models import AuditEvent, Candidate, ListSnapshot, Program, Reminder, Round
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.harness.slack_api import SlackStandIn
from tests.harness.slack_text import fallback

MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


def ask(slack: SlackClientSim, standin: SlackStandIn, text: str, user: str, channel: str) -> str:
    standin.reset()
    slack.command(text, user, channel)
    return str(standin.wait_for("response_url")[-1].params["text"])


def read(text: str) -> str:
    return fallback(text)


def reminder_rows(served: Served) -> list[Reminder]:
    with served.room.database.reading() as session:
        return list(session.scalars(select(Reminder).order_by(Reminder.due_at, Reminder.key)))


def test_schedule_shows_every_event_in_the_program_time_zone_with_a_countdown(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    # The fake clock: Wed 17 Mar 2027 09:00 EDT, three days after the US spring change.
    text = ask(slack, standin, "schedule", MEMBERS[0], war_room)
    assert "SOAP calendar 2027 (America/New_York)" in text
    assert "Mon 15 Mar 10:00 EDT" in read(text)  # SOAP begins, the day after the change
    assert "Thu 18 Mar 08:55 EDT*  Round 1 preference-list deadline (in 23 h 55 min)" in read(text)
    assert "Thu 18 Mar 12:00 EDT*  Round 2 offers go out (in 1 day 3 h)" in read(text)
    # Each member reads the time in their own zone; the fallback names the program's.
    assert "*<!date^1805374500^{date_short_pretty} {time}|Thu 18 Mar 08:55 EDT>*  Round 1" in text
    assert "Thu 18 Mar 20:00 EDT*  Round 4 offers expire" in read(text)
    assert "~Tue 16 Mar 08:00 EDT~  Programs may review SOAP applications (1 day 1 h ago)" in read(text)
    with served.room.database.reading() as session:
        first = session.get(Round, (1, 1))
    assert first is not None
    assert (first.deadline_at, first.offers_at, first.expires_at) == (utc(18, 12, 55), utc(18, 13), utc(18, 15))
    # A program in Arizona (no daylight time) sees the same instants three hours earlier.
    with served.room.database.transaction() as session:
        session.execute(update(Program).values(timezone="America/Phoenix"))
    text = ask(slack, standin, "schedule", MEMBERS[0], war_room)
    assert "Thu 18 Mar 05:55 MST*  Round 1 preference-list deadline (in 23 h 55 min)" in read(text)


def test_a_director_moves_a_deadline_and_its_reminders_follow(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    before = [(r.key, r.state) for r in reminder_rows(served)]
    refused = ask(slack, standin, 'schedule set round=2 deadline="2027-03-18 11:30"', MEMBERS[0], war_room)
    assert "Only a program director" in refused
    wrong = ask(slack, standin, 'schedule set round=2 deadline="2027-03-18 12:30"', DIRECTOR, war_room)
    assert "after the offers" in wrong
    gap = ask(slack, standin, 'schedule set round=1 deadline="2027-03-14 02:30"', DIRECTOR, war_room)
    assert "does not exist" in gap
    assert [(r.key, r.state) for r in reminder_rows(served)] == before
    assert standin.calls_to("chat.postMessage") == []

    done = ask(slack, standin, 'schedule set round=2 deadline="2027-03-18 11:30"', DIRECTOR, war_room)
    assert "Done" in done
    announcement = standin.wait_for("chat.postMessage")[0].params
    assert announcement["channel"] == war_room
    assert "deadline Thu 18 Mar 11:30 EDT" in read(announcement["text"])
    assert "was deadline Thu 18 Mar 11:55 EDT" in read(announcement["text"])
    moved = {r.key.split(":")[2]: r for r in reminder_rows(served) if r.round == 2 and r.state == "pending"}
    assert moved["deadline-15"].due_at == utc(18, 15, 15)
    assert moved["deadline-60"].due_at == utc(18, 14, 30)

    ask(slack, standin, "schedule set leads=30", DIRECTOR, war_room)
    leads = {r.key.split(":")[2] for r in reminder_rows(served) if r.state == "pending" and r.kind == "deadline_lead"}
    assert leads == {"deadline-30"}
    with served.room.database.reading() as session:
        audits = [(a.action, a.before, a.after) for a in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("schedule.%")).order_by(AuditEvent.id))]
    assert [a[0] for a in audits] == ["schedule.seed", "schedule.set", "schedule.leads"]
    assert audits[2][1:] == ({"leads": [60, 15]}, {"leads": [30]})
    assert "30 min before each deadline" in ask(slack, standin, "schedule", MEMBERS[1], war_room)


def test_the_15_minute_reminder_mentions_exactly_the_members_with_missing_votes(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    with served.room.database.transaction() as session:
        for aamc, last in (("10000001", "Testperson"), ("10000002", "Samplename")):
            session.add(Candidate(program_id=1, aamc_id=aamc, first_name="Alex", last_name=last))
    ask(slack, standin, f"observer add <@{MEMBERS[3]}>", DIRECTOR, war_room)
    for user in (DIRECTOR, MEMBERS[0], MEMBERS[1]):
        ask(slack, standin, "vote 10000001 rank", user, war_room)
    ask(slack, standin, "vote 10000002 high", DIRECTOR, war_room)
    ask(slack, standin, "vote 10000002 if-needed", MEMBERS[1], war_room)

    standin.reset()
    assert reminders.run_due_reminders(served.room, utc(18, 11, 55), "e2e-clock")  # the 60-minute one
    standin.reset()
    served.clock.set(utc(18, 12, 40))  # 08:40 EDT: 15 minutes before the round 1 deadline
    sent = reminders.run_due_reminders(served.room, served.clock(), "e2e-clock")
    assert sorted(k.split(":")[2] for k in sent) == ["deadline-15", "lock-15"]
    posts = [c.params for c in standin.wait_for("chat.postMessage", count=2)]
    assert {p["channel"] for p in posts} == {war_room}
    deadline = next(p for p in posts if ":alarm_clock:" in p["text"])
    assert "Thu 18 Mar 08:55 EDT (in 15 min)" in read(deadline["text"])
    # M0 misses 10000002, M2 both; M1 and the director voted on both; M3 is an observer; the bot never.
    assert set(MENTION.findall(deadline["text"])) == {MEMBERS[0], MEMBERS[2]}
    assert set(MENTION.findall(str(deadline["blocks"]))) == {MEMBERS[0], MEMBERS[2]}
    assert f"<@{MEMBERS[2]}> (2 of 2)" in deadline["text"]
    assert f"<@{MEMBERS[0]}> (1 of 2)" in deadline["text"]
    lock = next(p for p in posts if ":lock:" in p["text"])
    assert set(MENTION.findall(lock["text"])) == {DIRECTOR}
    assert "/soap list lock 1" in lock["text"]
    assert BOT_USER_ID not in str(posts)
    # Run again (a retried job, a second clock): nothing more.
    assert reminders.run_due_reminders(served.room, served.clock(), "another-clock") == []
    assert len(standin.calls_to("chat.postMessage")) == 2


def test_the_pre_deadline_reminder_says_who_the_round_would_offer_to(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    with served.room.database.transaction() as session:
        for aamc, last in (("10000001", "Firstchoice"), ("10000002", "Secondchoice")):
            session.add(Candidate(program_id=1, aamc_id=aamc, first_name="Alex", last_name=last))
    ask(slack, standin, "positions set categorical=1", DIRECTOR, war_room)
    for user in (DIRECTOR, MEMBERS[0]):
        ask(slack, standin, "vote 10000001 high", user, war_room)
        ask(slack, standin, "vote 10000002 if-needed", user, war_room)
    standin.reset()
    served.clock.set(utc(18, 12, 40))
    reminders.run_due_reminders(served.room, served.clock(), "e2e-clock")
    deadline = next(c.params for c in standin.wait_for("chat.postMessage", count=2)
                    if ":alarm_clock:" in c.params["text"])
    projected = deadline["text"].split("would offer to", 1)[1]
    assert "Firstchoice" in projected
    assert "Secondchoice" not in projected


def test_schedule_shows_for_each_coming_round_whether_its_list_is_locked_and_certified(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    text = ask(slack, standin, "schedule", MEMBERS[0], war_room)
    assert "*Round 1:* The list: not locked" in text
    assert "*Round 4:* The list: not locked" in text
    with served.room.database.transaction() as session:
        program_id = session.scalar(select(Program.id))
        session.add(ListSnapshot(program_id=program_id, round=1, locked_by=DIRECTOR, locked_at=utc(17, 13)))
        session.add(ListSnapshot(program_id=program_id, round=2, locked_by=DIRECTOR, locked_at=utc(17, 13),
                                 certified_by=DIRECTOR, certified_at=utc(17, 13)))
    text = ask(slack, standin, "schedule", MEMBERS[0], war_room)
    assert "*Round 1:* The list: locked, not recorded as certified in R3" in text
    assert "*Round 2:* The list: locked and certified in R3" in text
    assert "*Round 3:* The list: not locked" in text


def test_lock_shows_the_check_then_reminders_ask_for_certification_until_it_is_recorded(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    with served.room.database.transaction() as session:
        session.add(Candidate(program_id=1, aamc_id="10000001", first_name="Alex", last_name="Welcome"))
        # In the do-not-rank bucket by the policy, yet a member's vote puts them on the list.
        session.add(Candidate(program_id=1, aamc_id="10000002", first_name="Old", last_name="Graduate",
                              bucket="do not rank",
                              triage_reasons=[{"kind": "graduation", "text": "graduated 11 years ago"},
                                              {"kind": "risk", "text": "graduated 11 years"}]))
    for user in (MEMBERS[0], MEMBERS[1], MEMBERS[2], MEMBERS[3]):
        ask(slack, standin, "vote 10000001 high", user, war_room)
        ask(slack, standin, "vote 10000002 rank", user, war_room)
    served.clock.set(utc(18, 12, 30))  # 08:30 EDT, 25 minutes before round 1's deadline

    check = ask(slack, standin, "list lock 1", DIRECTOR, war_room)
    assert f"*Not voted yet:* <@{DIRECTOR}> (2 of 2)" in check
    assert "#2 Graduate, Old (10000002): in the do-not-rank bucket (graduated 11 years ago)" in check
    with served.room.database.reading() as session:
        assert session.scalars(select(ListSnapshot)).all() == []  # nothing locked by the check
    done = ask(slack, standin, "list lock 1 confirm", DIRECTOR, war_room)
    assert "Round 1 is locked" in done

    standin.reset()
    reminders.run_due_reminders(served.room, utc(18, 12, 40), "e2e-clock")  # the 15-minute reminder
    lead = next(c.params["text"] for c in standin.calls_to("chat.postMessage") if ":alarm_clock:" in c.params["text"])
    assert "enter it in R3 and certify it there" in lead
    assert "Votes missing" not in lead

    refused = ask(slack, standin, "list certified 1", MEMBERS[0], war_room)
    assert "Only a program director" in refused
    recorded = ask(slack, standin, "list certified 1", DIRECTOR, war_room)
    assert "certified in R3" in recorded
    announced = standin.calls_to("chat.postMessage")[-1].params["text"]
    assert f"<@{DIRECTOR}> recorded round 1's list as entered and certified in R3" in announced
    assert "already recorded as certified" in ask(slack, standin, "list certified 1", DIRECTOR, war_room)

    standin.reset()
    served.clock.set(utc(18, 12, 50))  # the 5-minute reminder a director adds late
    ask(slack, standin, "schedule set leads=60,15,5", DIRECTOR, war_room)
    reminders.run_due_reminders(served.room, utc(18, 12, 50), "e2e-clock")
    lead = next(c.params["text"] for c in standin.calls_to("chat.postMessage") if ":alarm_clock:" in c.params["text"])
    assert "Every list of the round is locked and recorded as certified in R3" in lead
    standin.reset()
    assert reminders.run_due_reminders(served.room, utc(18, 12, 55), "e2e-clock") == []  # the deadline: no alarm
    assert standin.calls_to("chat.postMessage") == []
    alarm = next(r for r in reminder_rows(served) if r.kind == "deadline_alarm" and r.round == 1
                 and r.state != "cancelled")
    assert (alarm.state, alarm.message_ts) == ("sent", None)  # handled: locked and certified, nothing to say
    with served.room.database.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "list.certified")).one()
    assert event.actor == DIRECTOR


def test_the_reminder_counts_missing_votes_only_on_applicants_a_list_holds(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    categorical = "Internal Medicine|1234140C0 (Categorical)"
    with served.room.database.transaction() as session:
        for aamc, last, tracks in (("10000001", "Coded", [categorical]), ("10000002", "Codedtoo", [categorical]),
                                   ("10000003", "Notrack", [])):
            session.add(Candidate(program_id=1, aamc_id=aamc, first_name="Alex", last_name=last, tracks=tracks))
    for aamc in ("10000001", "10000002", "10000003"):
        ask(slack, standin, f"vote {aamc} rank", DIRECTOR, war_room)
    ask(slack, standin, "list", DIRECTOR, war_room)
    listing = str(standin.wait_for("response_url")[-1].params["blocks"])
    assert "so on no list: 1*" in listing and "Notrack" in listing

    standin.reset()
    reminders.run_due_reminders(served.room, utc(18, 11, 55), "e2e-clock")  # the 60-minute reminder
    text = next(c.params["text"] for c in standin.wait_for("chat.postMessage") if ":alarm_clock:" in c.params["text"])
    # Two applicants are on the list; the one on no list is not a vote anybody still owes.
    assert f"<@{MEMBERS[0]}> (2 of 2)" in text
