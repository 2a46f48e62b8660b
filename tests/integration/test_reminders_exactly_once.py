"""Reminders against the real database (SQLite and PostgreSQL) and the Web API stand-in, with a
fake clock: each reminder is posted once at its time, whatever crashes, restarts and racing
clocks do."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.bootstrap import SETUP_HOOKS, build_war_room
from bot.clock import make_scheduler, run_job, start_in_process
from bot.console.payloads import BOT_USER_ID, TEAM_ID
from bot.domain.offers import OfferStatus
from bot.domain.preference_list import Vote
from bot.errors import BadInput, Conflict
from bot.messages.schedule import reminder_changes_text, reminder_label, schedule_change_text
from bot.services import offers, positions, preference_list, programs, reminders, round_status, schedule, voting
from bot.settings import load_settings
from bot.war_room import WarRoom
from storage.database import Database
from storage.models import AuditEvent, Candidate, ListSnapshot, Offer, Reminder, Round
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn
from tests.harness.slack_text import fallback

WAR_ROOM = "G0WARROOM1"
DIRECTOR = "U0DIRECTOR"
MEMBERS = ("U0MEMBER01", "U0MEMBER02")


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as api:
        api.set_channel(WAR_ROOM, name="soap-war-room", is_private=True)
        api.set_members(WAR_ROOM, [DIRECTOR, *MEMBERS, BOT_USER_ID])
        yield api


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc(17, 13))


def make_room(standin: SlackStandIn, database_url: str, clock: FakeClock) -> WarRoom:
    settings = load_settings(env_file=None, slack_bot_token="xoxb-int-0000-token", slack_signing_secret="s" * 32,
                             slack_api_url=standin.url, database_url=database_url, slack_app_token=None)
    return build_war_room(settings, clock=clock, sleep=lambda _s: None)


@pytest.fixture
def room(standin: SlackStandIn, database_url: str, clock: FakeClock) -> WarRoom:
    return make_room(standin, database_url, clock)


@pytest.fixture
def program(room: WarRoom) -> programs.ProgramRef:
    assert schedule.seed_default_calendar in SETUP_HOOKS
    ref, created = programs.setup_war_room(
        room.database, seed=SETUP_HOOKS, name="Internal Medicine – Test", team_id=TEAM_ID,
        channel=programs.ChannelFacts(WAR_ROOM, is_private=True), user_id=DIRECTOR,
        timezone="America/New_York", members=frozenset({DIRECTOR, *MEMBERS}))
    assert created
    return ref


def rows(database: Database) -> list[Reminder]:
    with database.reading() as session:
        return list(session.scalars(select(Reminder).order_by(Reminder.due_at, Reminder.key)))


def posts(standin: SlackStandIn) -> list[dict]:
    return [c.params for c in standin.calls_to("chat.postMessage") if c.ok]


def reminders_only(keys: list[str]) -> list[str]:
    """The keys without the alarms for earlier rounds whose deadline passed unlocked (tested below)."""
    return [key for key in keys if ":deadline-passed:" not in key]


def test_every_default_reminder_fires_once_at_its_time(room: WarRoom, program: programs.ProgramRef,
                                                        standin: SlackStandIn) -> None:
    planned = rows(room.database)
    assert len(planned) == 4 * 6  # per round: 60 and 15 min leads, lock warning, offers, expiry, deadline alarm
    # Round 1 offers at 09:00 EDT (the Thursday after the spring change) is 13:00 UTC.
    assert any(r.key.endswith("offers-open:2027-03-18T13:00:00Z") for r in planned)
    sent: list[str] = []
    for due_at in sorted({r.due_at for r in planned}):
        assert reminders.run_due_reminders(room, due_at - timedelta(seconds=1), "clock-a") == []
        now_due = sorted(r.key for r in planned if r.due_at == due_at)
        assert sorted(reminders.run_due_reminders(room, due_at, "clock-a")) == now_due
        assert reminders.run_due_reminders(room, due_at + timedelta(seconds=20), "clock-a") == []
        sent.extend(now_due)
    assert sorted(sent) == sorted(r.key for r in planned)
    assert len(posts(standin)) == len(planned)
    assert {p["channel"] for p in posts(standin)} == {WAR_ROOM}
    after = rows(room.database)
    assert {r.state for r in after} == {"sent"}
    assert not any(r.late for r in after)
    assert all(r.message_ts for r in after)
    # A restarted clock, long after, finds nothing to do.
    assert reminders.run_due_reminders(room, utc(19, 12), "clock-restarted") == []
    assert len(posts(standin)) == len(planned)


def test_changing_a_deadline_moves_its_reminders(room: WarRoom, program: programs.ProgramRef,
                                                  standin: SlackStandIn, clock: FakeClock) -> None:
    old_deadline = utc(18, 15, 55)  # round 2 default: 11:55 EDT
    update = schedule.change_schedule(room.database, program=program, actor=DIRECTOR,
                                      pairs={"round": "2", "deadline": "2027-03-18 11:30"}, now=clock())
    assert update.before is not None
    assert update.after is not None
    assert update.after.deadline_at == utc(18, 15, 30)
    by_state: dict[str, set[datetime]] = {}
    for row in rows(room.database):
        if row.round == 2 and row.kind in ("deadline_lead", "lock_warning"):
            by_state.setdefault(row.state, set()).add(row.subject_at)
    assert by_state == {"cancelled": {old_deadline}, "pending": {utc(18, 15, 30)}}
    # The new times fire; the old 15-minute time passes in silence.
    assert [k.split(":")[2] for k in reminders_only(reminders.run_due_reminders(room, utc(18, 14, 30), "c"))] \
        == ["deadline-60"]
    assert reminders.run_due_reminders(room, utc(18, 14, 55), "c") == []
    fired = reminders.run_due_reminders(room, utc(18, 15, 15), "c")
    assert sorted(k.split(":")[2] for k in fired) == ["deadline-15", "lock-15"]
    assert "11:30 EDT" in fallback(next(p for p in posts(standin) if "deadline has passed" not in p["text"])["text"])
    with room.database.reading() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "schedule.set"))
    assert event is not None
    assert event.actor == DIRECTOR
    assert event.target == "round:2"
    assert event.before is not None
    assert event.after is not None
    assert event.before["deadline_at"].startswith("2027-03-18T15:55")
    assert event.after["deadline_at"].startswith("2027-03-18T15:30")
    # Moving it back to 11:55 at 11:16 revives the original rows (same keys): the 60-minute one,
    # overdue, goes out at once (not "late": it was not owed before), the 15-minute one at 11:40.
    count = len(rows(room.database))
    schedule.change_schedule(room.database, program=program, actor=DIRECTOR,
                             pairs={"round": "2", "deadline": "2027-03-18 11:55"}, now=utc(18, 15, 16))
    assert len(rows(room.database)) == count
    pending = {r.key.split(":")[2]: r for r in rows(room.database) if r.state == "pending" and r.round == 2}
    assert sorted(pending) == ["deadline-15", "deadline-60", "deadline-passed", "lock-15", "offers-expire",
                               "offers-open"]
    assert pending["deadline-60"].due_at == utc(18, 15, 16)
    assert pending["deadline-15"].due_at == utc(18, 15, 40)
    standin.reset()
    assert len(reminders.run_due_reminders(room, utc(18, 15, 16, 20), "c")) == 1
    text = posts(standin)[0]["text"]
    assert "11:55 EDT (in 38 min)" in fallback(text)
    assert "late" not in text


def test_a_clock_killed_between_claim_and_send_gives_exactly_one_message(
        room: WarRoom, program: programs.ProgramRef, standin: SlackStandIn) -> None:
    assert len(reminders.run_due_reminders(room, utc(18, 11, 55), "clock-a")) == 1  # the 60-minute one
    standin.reset()
    due_at = utc(18, 12, 40)  # round 1, 15 minutes before the 08:55 EDT deadline
    key = next(r.key for r in rows(room.database) if r.due_at == due_at and r.kind == "deadline_lead")
    assert reminders.claim(room.database, key, due_at, "clock-that-dies")  # ...and it dies here
    # While its lease lives, no one else touches it (the lock warning, due too, goes out).
    assert key not in reminders.run_due_reminders(room, due_at + timedelta(seconds=30), "clock-b")
    assert not [p for p in posts(standin) if "Votes missing" in p["text"] or "every committee" in p["text"].lower()]
    taken_over = due_at + reminders.lease_of(room) + timedelta(seconds=1)
    assert reminders.run_due_reminders(room, taken_over, "clock-b") == [key]
    assert reminders.run_due_reminders(room, taken_over + timedelta(seconds=20), "clock-b") == []
    assert reminders.run_due_reminders(room, taken_over + timedelta(seconds=40), "clock-that-dies") == []
    row = next(r for r in rows(room.database) if r.key == key)
    assert (row.state, row.claimed_by, row.attempts) == ("sent", "clock-b", 2)
    deadline_posts = [p for p in posts(standin) if "deadline" in p["text"] and ":lock:" not in p["text"]]
    assert len(deadline_posts) == 1


def test_racing_clocks_post_each_reminder_once(standin: SlackStandIn, database_url: str, clock: FakeClock,
                                               program: programs.ProgramRef) -> None:
    rooms = [make_room(standin, database_url, clock) for _ in range(4)]
    planned = rows(rooms[0].database)
    got: dict[str, list[str]] = {}
    lock = threading.Lock()
    for due_at in sorted({r.due_at for r in planned}):
        barrier = threading.Barrier(len(rooms))

        def work(index: int, when: datetime = due_at, gate: threading.Barrier = barrier) -> None:
            gate.wait()
            for key in reminders.run_due_reminders(rooms[index], when, f"clock-{index}"):
                with lock:
                    got.setdefault(key, []).append(f"clock-{index}")

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(rooms))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(got) == sorted(r.key for r in planned)
    assert all(len(by) == 1 for by in got.values()), {k: v for k, v in got.items() if len(v) > 1}
    assert len(posts(standin)) == len(planned)


def _clock_process(standin_url: str, database_url: str, due_times: list[datetime], name: str,
                   barrier: Any, results: Any) -> None:
    """One clock process: at each due time, wait for the other clock, then race it."""
    settings = load_settings(env_file=None, slack_bot_token="xoxb-int-0000-token", slack_signing_secret="s" * 32,
                             slack_api_url=standin_url, database_url=database_url, slack_app_token=None)
    room = build_war_room(settings, clock=FakeClock(due_times[0]), sleep=lambda _s: None)
    for when in due_times:
        barrier.wait(timeout=60)
        for key in reminders.run_due_reminders(room, when, name):
            results.put((key, name))
    results.put(("done", name))


def test_two_clock_processes_post_each_reminder_once(standin: SlackStandIn, database_url: str,
                                                     room: WarRoom, program: programs.ProgramRef) -> None:
    planned = rows(room.database)
    due_times = sorted({r.due_at for r in planned})
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_clock_process,
                               args=(standin.url, database_url, due_times, f"process-{i}", barrier, results))
               for i in range(2)]
    for worker in workers:
        worker.start()
    got: dict[str, list[str]] = {}
    done = 0
    while done < len(workers):
        key, name = results.get(timeout=120)
        if key == "done":
            done += 1
        else:
            got.setdefault(key, []).append(name)
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert sorted(got) == sorted(r.key for r in planned)
    assert all(len(by) == 1 for by in got.values())
    assert len(posts(standin)) == len(planned)


def test_missed_while_down_is_recorded_and_named_in_the_next_message(
        room: WarRoom, program: programs.ProgramRef, standin: SlackStandIn) -> None:
    # Down from before round 1's first reminder until after its offers went out (13:00 UTC).
    # Back up: round 1's list was never locked and its offers are still running, so the
    # deadline alarm goes out late, and it names what was missed, once.
    sent = reminders.run_due_reminders(room, utc(18, 13, 5), "c")
    assert [key.split(":")[1:3] for key in sent] == [["r1", "deadline-passed"]]
    round1 = [r for r in rows(room.database) if r.round == 1]
    assert sorted(r.state for r in round1) == ["missed", "missed", "missed", "missed", "pending", "sent"]
    first = posts(standin)[0]["text"]
    assert "deadline has passed" in first
    assert "late" in first
    assert "could not be sent in time" in first
    assert "Round 1 preference-list deadline (lock warning) (Thu 18 Mar 08:55 EDT)" in fallback(first)
    # Round 1's offers-out message fell due after the alarm: the next message names it.
    sent = reminders.run_due_reminders(room, utc(18, 14, 55), "c")  # round 2's 60-minute reminder
    assert reminders_only(sent) == sent
    assert len(sent) == 1
    second = posts(standin)[1]["text"]
    assert "Round 1 offers go out (Thu 18 Mar 09:00 EDT)" in fallback(second)
    assert "lock warning" not in second
    reminders.run_due_reminders(room, utc(18, 15, 0), "c")  # round 1 expiry
    assert all("could not be sent in time" not in p["text"] for p in posts(standin)[2:])


def test_a_reminder_missed_while_down_is_sent_late_if_its_deadline_is_ahead(
        room: WarRoom, program: programs.ProgramRef, standin: SlackStandIn) -> None:
    sent = reminders.run_due_reminders(room, utc(18, 12, 5), "c")  # 10 min after the 60-min reminder
    assert len(sent) == 1
    assert ":r1:deadline-60:" in sent[0]
    text = posts(standin)[0]["text"]
    assert "late" in text
    assert "in 50 min" in text
    assert next(r for r in rows(room.database) if r.key == sent[0]).late is True


def test_slack_rate_limits_are_retried_and_the_reminder_marked_once_accepted(
        room: WarRoom, program: programs.ProgramRef, standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", times=2, status=429, retry_after=1)
    assert len(reminders.run_due_reminders(room, utc(18, 11, 55), "c")) == 1
    assert len(posts(standin)) == 1
    standin.fail("chat.postMessage", times=50, status=500)
    assert reminders.run_due_reminders(room, utc(18, 12, 40), "c") == []
    assert {r.state for r in rows(room.database) if r.due_at == utc(18, 12, 40)} == {"pending"}
    standin.reset()
    assert len(reminders.run_due_reminders(room, utc(18, 12, 40, 20), "c")) == 2
    assert len(posts(standin)) == 2


def test_no_lock_warning_when_the_list_is_locked(room: WarRoom, program: programs.ProgramRef,
                                                 standin: SlackStandIn) -> None:
    with room.database.transaction() as session:
        session.add(ListSnapshot(program_id=program.id, round=1, locked_by=DIRECTOR, locked_at=utc(18, 12)))
    reminders.run_due_reminders(room, utc(18, 11, 55), "c")
    standin.reset()
    reminders.run_due_reminders(room, utc(18, 12, 40), "c")
    texts = [p["text"] for p in posts(standin)]
    assert len(texts) == 1
    assert ":lock:" not in texts[0]
    lock_row = next(r for r in rows(room.database) if r.kind == "lock_warning" and r.round == 1)
    assert (lock_row.state, lock_row.message_ts) == ("sent", None)


def test_the_clock_job_is_stored_by_apscheduler_and_ticks(room: WarRoom, program: programs.ProgramRef,
                                                          standin: SlackStandIn, clock: FakeClock) -> None:
    scheduler = make_scheduler(room)
    scheduler.start(paused=True)
    try:
        assert "reminders.tick" in [job.id for job in scheduler.get_jobs()]
    finally:
        scheduler.shutdown(wait=False)
    clock.set(utc(18, 11, 55))
    run_job("reminders.tick")
    assert len(posts(standin)) == 1
    run_job("reminders.tick")
    assert len(posts(standin)) == 1


def test_the_tick_replans_from_the_database(room: WarRoom, program: programs.ProgramRef, standin: SlackStandIn,
                                            clock: FakeClock) -> None:
    # Round 3's times written straight to the table (no service re-planned them): the next tick does.
    with room.database.transaction() as session:
        session.execute(update(Round).where(Round.program_id == program.id, Round.number == 3)
                        .values(deadline_at=utc(18, 18, 30)))
    clock.set(utc(18, 17, 30))  # the new 60-minute reminder's time
    sent = reminders_only(reminders.tick(room, "clock-a"))
    assert [k.split(":")[1:3] for k in sent] == [["r3", "deadline-60"]]
    assert "Thu 18 Mar 14:30 EDT (in 1 h)" in fallback(posts(standin)[-1]["text"])
    states = {r.key.split(":")[2]: r.state for r in rows(room.database)
              if r.round == 3 and r.subject_at == utc(18, 18, 55)}
    assert states == {"deadline-60": "cancelled", "deadline-15": "cancelled", "lock-15": "cancelled"}
    with room.database.reading() as session:
        replans = session.scalars(select(AuditEvent).where(AuditEvent.action == "reminders.replan")).all()
    assert len(replans) == 1


# --- the safety net around each deadline ------------------------------------------------------


def _lock(room: WarRoom, program: programs.ProgramRef, round_number: int, at: datetime) -> None:
    with room.database.transaction() as session:
        session.add(ListSnapshot(program_id=program.id, round=round_number, locked_by=DIRECTOR, locked_at=at))


def test_the_deadline_alarm_names_the_round_once_when_its_list_is_not_locked(
        room: WarRoom, program: programs.ProgramRef, standin: SlackStandIn) -> None:
    reminders.run_due_reminders(room, utc(18, 12, 54), "c")  # round 1's earlier reminders
    standin.reset()
    sent = reminders.run_due_reminders(room, utc(18, 12, 55), "clock-a")  # 08:55 EDT: the deadline
    assert [key.split(":")[1:3] for key in sent] == [["r1", "deadline-passed"]]
    text = posts(standin)[0]["text"]
    assert "round 1's preference-list deadline has passed" in text
    assert "The list: not locked" in text
    assert f"<@{DIRECTOR}>" in text
    assert reminders.run_due_reminders(room, utc(18, 12, 55, 30), "clock-b") == []
    assert len(posts(standin)) == 1


def test_after_the_lock_reminders_ask_for_certification_and_the_alarm_is_quiet_once_certified(
        room: WarRoom, program: programs.ProgramRef, standin: SlackStandIn) -> None:
    reminders.run_due_reminders(room, utc(18, 11, 55), "c")  # round 1's 60-minute reminder: votes
    assert "No candidates are on the list yet" in posts(standin)[0]["text"]
    _lock(room, program, 1, utc(18, 12, 30))
    standin.reset()
    reminders.run_due_reminders(room, utc(18, 12, 40), "c")  # the 15-minute reminder, after the lock
    [lead] = [p["text"] for p in posts(standin)]
    assert "certify it there" in lead
    assert "/soap list certified 1" in lead
    assert "Finish voting" not in lead
    assert "No candidates are on the list yet" not in lead
    # Locked but not recorded as certified: the deadline still raises the alarm, saying so.
    standin.reset()
    reminders.run_due_reminders(room, utc(18, 12, 55), "c")
    [alarm] = [p["text"] for p in posts(standin)]
    assert "locked, not recorded as certified in R3" in alarm
    # Round 2, locked and certified before its deadline: its reminder says so, and no alarm.
    _lock(room, program, 2, utc(18, 14, 0))
    certified = round_status.certify(room.database, program_id=program.id, actor=DIRECTOR, round_number=2,
                                     now=utc(18, 14, 1))
    assert certified.after_deadline is False
    standin.reset()
    reminders.run_due_reminders(room, utc(18, 15, 40), "c")  # round 2's 15-minute reminder
    assert any("recorded as certified in R3" in p["text"] for p in posts(standin))
    standin.reset()
    assert reminders.run_due_reminders(room, utc(18, 15, 55), "c") == []
    assert posts(standin) == []
    alarm_row = next(r for r in rows(room.database) if r.kind == "deadline_alarm" and r.round == 2)
    assert (alarm_row.state, alarm_row.message_ts) == ("sent", None)  # handled, nothing to say


def test_certifying_after_the_deadline_says_r3_may_have_used_the_list_it_had(
        room: WarRoom, program: programs.ProgramRef) -> None:
    with pytest.raises(BadInput, match="not locked"):
        round_status.certify(room.database, program_id=program.id, actor=DIRECTOR, round_number=1,
                             now=utc(18, 12, 50))
    _lock(room, program, 1, utc(18, 12, 50))
    late = round_status.certify(room.database, program_id=program.id, actor=DIRECTOR, round_number=1,
                                now=utc(18, 12, 58))
    assert late.after_deadline is True
    with pytest.raises(Conflict, match="already recorded as certified"):
        round_status.certify(room.database, program_id=program.id, actor=DIRECTOR, round_number=1,
                             now=utc(18, 12, 59))


def test_a_schedule_change_that_makes_a_reminder_overdue_sends_it_now_and_says_what_moved(
        room: WarRoom, program: programs.ProgramRef, standin: SlackStandIn) -> None:
    reminders.run_due_reminders(room, utc(18, 11, 55), "c")  # 07:55 EDT: the 60-minute reminder went out
    standin.reset()
    # 08:39 EDT, deadline 08:55: a 30-minute reminder's time (08:25) has passed, its deadline has not.
    update = schedule.change_schedule(room.database, program=program, actor=DIRECTOR, pairs={"leads": "30"},
                                      now=utc(18, 12, 39))
    assert [reminder_label(s) for s in update.reminders.sent_now] == ["round 1's reminder 30 min before the deadline"]
    text = schedule_change_text(actor_mention="@d", round_number=None, before=None, after=None,
                                leads_before=update.leads_before, leads_after=update.leads_after,
                                tz=ZoneInfo("America/New_York"), reminders=update.reminders)
    assert "Sent now, because its time has passed and its deadline is still ahead: round 1's reminder 30 min" in text
    # Of round 2's two reminders, one moves to the new time and the other is no longer sent.
    assert "Moved: round 2's reminder 30 min before the deadline from Thu 18 Mar 10:55 EDT to Thu 18 Mar 11:25 EDT" \
        in fallback(text)
    assert "round 2's reminder 15 min before the deadline (no longer asked for by the reminder times)" in text
    # Round 1's 08:40 reminder is still to come: the 30-minute one goes out now, and the 08:40 one is dropped.
    assert "round 1's reminder 15 min before the deadline (no longer asked for by the reminder times)" in text
    assert "Reminders follow the new times" not in text
    sent = reminders.run_due_reminders(room, utc(18, 12, 39), "web")
    assert [key.split(":")[1:3] for key in sent] == [["r1", "deadline-30"]]
    assert "in 16 min" in posts(standin)[0]["text"]
    again = reminders.run_due_reminders(room, utc(18, 12, 40), "clock")
    assert all(":deadline-30:" not in key for key in again)


def test_the_offers_expire_reminder_names_the_offers_still_unanswered(
        room: WarRoom, program: programs.ProgramRef, standin: SlackStandIn) -> None:
    with room.database.transaction() as session:
        answered = Candidate(program_id=program.id, aamc_id="14000001", first_name="Ana", last_name="Testwell")
        open_ = Candidate(program_id=program.id, aamc_id="14000002", first_name="Bo", last_name="Mockford")
        session.add_all([answered, open_])
        session.flush()
        session.add_all([
            Offer(program_id=program.id, candidate_id=answered.id, round=1, track="categorical",
                  status="accepted", recorded_by=DIRECTOR),
            Offer(program_id=program.id, candidate_id=open_.id, round=1, track="categorical",
                  status="offered", recorded_by=DIRECTOR)])
    reminders.run_due_reminders(room, utc(18, 14, 59), "c")
    standin.reset()
    reminders.run_due_reminders(room, utc(18, 15, 0), "c")  # 11:00 EDT: round 1's offers expire
    [text] = [p["text"] for p in posts(standin) if "offers expire" in p["text"]]
    assert "the offer still unanswered: Mockford, Bo (14000002) · categorical" in text
    assert "Testwell" not in text


def test_as_the_offers_go_out_the_war_room_is_told_who_r3_offers_to_and_from_which_list(
        room: WarRoom, program: programs.ProgramRef, standin: SlackStandIn) -> None:
    tracks = ["Internal Medicine|1234140C0 (Categorical)"]
    with room.database.transaction() as session:
        session.add_all([Candidate(program_id=program.id, aamc_id=f"1400001{n}", first_name=first,
                                   last_name="Openingday", tracks=tracks)
                         for n, first in enumerate(("Ana", "Bo", "Cy"), start=1)])
    for aamc, vote in (("14000011", Vote.RANK_HIGH), ("14000012", Vote.RANK), ("14000013", Vote.IF_NEEDED)):
        voting.cast_vote(room.database, program_id=program.id, actor=DIRECTOR, aamc_id=aamc, vote=vote,
                         now=utc(17, 20))
    positions.set_positions(room.database, program_id=program.id, actor=DIRECTOR, pairs={"categorical": "2"})
    preference_list.lock_round(room.database, program_id=program.id, actor=DIRECTOR, round_number=1,
                               now=utc(18, 12))
    reminders.run_due_reminders(room, utc(18, 12, 59), "c")
    standin.reset()
    reminders.run_due_reminders(room, utc(18, 13), "c")  # 09:00 EDT: round 1's offers go out
    [text] = [p["text"] for p in posts(standin)]
    assert "Round 1: R3 is offering now" in text
    assert ("1234140C0 Categorical (2 open): Openingday, Ana (14000011), Openingday, Bo (14000012) "
            "(from the locked list, *not recorded as certified in R3*)") in text
    assert "Votes missing" not in text
    # Round 2, certified before its deadline: the message says the offers come from the certified list.
    offers.record_offer(room.database, program_id=program.id, actor=DIRECTOR, candidate_key="14000011",
                        round_number=1, status=OfferStatus.ACCEPTED, now=utc(18, 14))
    preference_list.lock_round(room.database, program_id=program.id, actor=DIRECTOR, round_number=2,
                               now=utc(18, 15, 30))
    round_status.certify(room.database, program_id=program.id, actor=DIRECTOR, round_number=2, now=utc(18, 15, 31))
    reminders.run_due_reminders(room, utc(18, 15, 59), "c")
    standin.reset()
    reminders.run_due_reminders(room, utc(18, 16), "c")  # 12:00 EDT: round 2's offers go out
    [text] = [p["text"] for p in posts(standin)]
    # Round 1's list was locked but never recorded as certified in R3, so the bot does not assume R3
    # offered from it (DOMAIN.md §2): Bo is not counted as offered in round 1, and round 2 names Bo.
    assert "1234140C0 Categorical (1 open): Openingday, Bo (14000012) (from the certified list)" in text


def test_a_clock_that_loses_the_race_to_create_the_job_store_starts_on_a_second_try(
        room: WarRoom, program: programs.ProgramRef, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two `soapbot clock` processes started together on a new database both create the job store's
    table; on PostgreSQL the second CREATE fails. That clock must start anyway, not exit."""
    real_start = SQLAlchemyJobStore.start
    attempts: list[int] = []

    def lose_the_first_race(self: SQLAlchemyJobStore, scheduler: Any, alias: str) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise IntegrityError("CREATE TABLE apscheduler_jobs", {}, Exception("duplicate key value"))
        real_start(self, scheduler, alias)

    monkeypatch.setattr(SQLAlchemyJobStore, "start", lose_the_first_race)
    scheduler = start_in_process(room)
    try:
        assert scheduler.running
        assert "reminders.tick" in [job.id for job in scheduler.get_jobs()]
    finally:
        scheduler.shutdown(wait=False)
    assert len(attempts) == 2


def test_a_reminder_at_the_same_minute_under_another_lead_is_neither_moved_nor_dropped(
        room: WarRoom, program: programs.ProgramRef) -> None:
    """Round 1's deadline moves from 08:55 to 09:00 EDT and the leads from 60,15 to 20: the 15-minute
    reminder was due at 08:40 and the 20-minute one is due at 08:40 too. Nothing moved for it."""
    update = schedule.change_schedule(room.database, program=program, actor=DIRECTOR,
                                      pairs={"round": "1", "deadline": "2027-03-18 09:00", "leads": "20"},
                                      now=utc(18, 11, 0))
    text = reminder_changes_text(update.reminders, ZoneInfo("America/New_York"))
    assert "round 1's reminder 20 min before the deadline" not in text
    assert "round 1's reminder 15 min before the deadline" not in text
    assert "round 1's reminder 60 min before the deadline (no longer asked for by the reminder times)" in text
