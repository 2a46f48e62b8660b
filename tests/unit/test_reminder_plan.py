"""Reminder planning: stable keys, re-planning after edits, late/missed delivery, leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.reminders import (
    Delivery,
    LeadsError,
    ReminderKind,
    ReminderSpec,
    classify,
    due,
    obsolete_keys,
    parse_leads,
    plan_interview_reminder,
    plan_round_reminders,
)
from bot.domain.soap_calendar import (
    EASTERN,
    apply_schedule_change,
    default_rounds,
    parse_schedule_set,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


ROUNDS = default_rounds(2027)  # round 2 deadline: Thu 18 Mar 2027 11:55 EDT = 15:55 UTC


def by_key(specs: list[ReminderSpec]) -> dict[str, ReminderSpec]:
    return {s.key: s for s in specs}


# --- planning -----------------------------------------------------------------------------

def test_plan_has_every_reminder_with_the_documented_keys() -> None:
    specs = plan_round_reminders("im1", ROUNDS)
    assert len(specs) == 4 * 6  # two leads, a lock warning, offers open, offers expire, deadline alarm
    r2 = {s.key: s for s in specs if s.round == 2}
    assert set(r2) == {
        "pim1:r2:deadline-60:2027-03-18T15:55:00Z",
        "pim1:r2:deadline-15:2027-03-18T15:55:00Z",
        "pim1:r2:lock-15:2027-03-18T15:55:00Z",
        "pim1:r2:offers-open:2027-03-18T16:00:00Z",
        "pim1:r2:offers-expire:2027-03-18T18:00:00Z",
        "pim1:r2:deadline-passed:2027-03-18T15:55:00Z",
    }
    hour_before = r2["pim1:r2:deadline-60:2027-03-18T15:55:00Z"]
    assert hour_before.kind is ReminderKind.DEADLINE_LEAD
    assert hour_before.due_at == utc(2027, 3, 18, 14, 55)  # 10:55 EDT
    assert hour_before.subject_at == utc(2027, 3, 18, 15, 55)
    assert hour_before.lead == timedelta(minutes=60)
    lock = r2["pim1:r2:lock-15:2027-03-18T15:55:00Z"]
    assert lock.kind is ReminderKind.LOCK_WARNING
    assert lock.due_at == utc(2027, 3, 18, 15, 40)
    opens = r2["pim1:r2:offers-open:2027-03-18T16:00:00Z"]
    assert (opens.kind, opens.due_at) == (ReminderKind.OFFERS_OPEN, utc(2027, 3, 18, 16))
    expires = r2["pim1:r2:offers-expire:2027-03-18T18:00:00Z"]
    assert (expires.kind, expires.due_at) == (ReminderKind.OFFERS_EXPIRE, utc(2027, 3, 18, 18))
    alarm = r2["pim1:r2:deadline-passed:2027-03-18T15:55:00Z"]
    # At the deadline itself, and still worth sending until the round's offers expire.
    assert (alarm.kind, alarm.due_at, alarm.subject_at) == (
        ReminderKind.DEADLINE_ALARM, utc(2027, 3, 18, 15, 55), utc(2027, 3, 18, 18))


def test_keys_are_unique_and_specs_sorted_by_due_time() -> None:
    specs = plan_round_reminders("im1", ROUNDS)
    assert len({s.key for s in specs}) == len(specs)
    assert [s.due_at for s in specs] == sorted(s.due_at for s in specs)
    assert all(s.due_at.tzinfo == UTC and s.due_at <= s.subject_at for s in specs)


def test_keys_differ_between_programs() -> None:
    a = {s.key for s in plan_round_reminders("im1", ROUNDS)}
    b = {s.key for s in plan_round_reminders("fm2", ROUNDS)}
    assert not a & b


def test_replanning_an_unchanged_calendar_gives_the_same_keys() -> None:
    first = plan_round_reminders("im1", ROUNDS)
    again = plan_round_reminders("im1", default_rounds(2027))
    assert first == again
    assert obsolete_keys([s.key for s in first], again) == set()


def test_moving_a_deadline_obsoletes_only_its_reminders() -> None:
    before = plan_round_reminders("im1", ROUNDS)
    change = parse_schedule_set({"round": "2", "deadline": "2027-03-18 11:30"}, EASTERN)
    after = plan_round_reminders("im1", apply_schedule_change(ROUNDS, change))
    gone = obsolete_keys([s.key for s in before], after)
    assert gone == {
        "pim1:r2:deadline-60:2027-03-18T15:55:00Z",
        "pim1:r2:deadline-15:2027-03-18T15:55:00Z",
        "pim1:r2:lock-15:2027-03-18T15:55:00Z",
        "pim1:r2:deadline-passed:2027-03-18T15:55:00Z",
    }
    new = set(by_key(after)) - set(by_key(before))
    assert new == {
        "pim1:r2:deadline-60:2027-03-18T15:30:00Z",
        "pim1:r2:deadline-15:2027-03-18T15:30:00Z",
        "pim1:r2:lock-15:2027-03-18T15:30:00Z",
        "pim1:r2:deadline-passed:2027-03-18T15:30:00Z",
    }
    assert by_key(after)["pim1:r2:deadline-60:2027-03-18T15:30:00Z"].due_at == utc(2027, 3, 18, 14, 30)


def test_custom_leads_and_lock_warning() -> None:
    specs = plan_round_reminders("im1", ROUNDS[:1], leads_minutes=(15, 120, 15), lock_warning_minutes=30)
    deadline_leads = sorted(s.lead for s in specs if s.kind is ReminderKind.DEADLINE_LEAD)
    assert deadline_leads == [timedelta(minutes=15), timedelta(minutes=120)]
    locks = [s for s in specs if s.kind is ReminderKind.LOCK_WARNING]
    assert [s.key for s in locks] == ["pim1:r1:lock-30:2027-03-18T12:55:00Z"]


def test_no_leads_and_no_lock_warning() -> None:
    specs = plan_round_reminders("im1", ROUNDS, leads_minutes=(), lock_warning_minutes=None)
    # Turning reminders off never turns off the alarm when a deadline passes unlocked.
    assert {s.kind for s in specs} == {ReminderKind.OFFERS_OPEN, ReminderKind.OFFERS_EXPIRE,
                                       ReminderKind.DEADLINE_ALARM}
    assert not [s for s in plan_round_reminders("im1", ROUNDS, lock_warning_minutes=0)
                if s.kind is ReminderKind.LOCK_WARNING]


@pytest.mark.parametrize("program", ["", "a:b", "two words"])
def test_program_key_cannot_break_the_key_format(program: str) -> None:
    with pytest.raises(ValueError, match="program_key"):
        plan_round_reminders(program, ROUNDS)


def test_invalid_leads_are_refused() -> None:
    with pytest.raises(ValueError, match="lead"):
        plan_round_reminders("im1", ROUNDS, leads_minutes=(0,))


# --- interviews -----------------------------------------------------------------------------

def test_interview_reminder() -> None:
    at = utc(2027, 3, 16, 18, 30)
    spec = plan_interview_reminder("im1", 42, at)
    assert spec.key == "pim1:i42:interview-10:2027-03-16T18:30:00Z"
    assert spec.kind is ReminderKind.INTERVIEW
    assert spec.round is None
    assert spec.due_at == utc(2027, 3, 16, 18, 20)
    assert plan_interview_reminder("im1", 42, at) == spec
    moved = plan_interview_reminder("im1", 42, at + timedelta(minutes=30))
    assert moved.key != spec.key
    assert plan_interview_reminder("im1", 42, at, lead=timedelta(minutes=5)).due_at == utc(2027, 3, 16, 18, 25)


def test_interview_reminder_needs_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_interview_reminder("im1", 42, datetime(2027, 3, 16, 14, 30))


# --- delivery after downtime ----------------------------------------------------------------

HOUR_BEFORE_R2 = next(
    s for s in plan_round_reminders("im1", ROUNDS) if s.key == "pim1:r2:deadline-60:2027-03-18T15:55:00Z"
)
OFFERS_OPEN_R2 = next(
    s for s in plan_round_reminders("im1", ROUNDS) if s.key == "pim1:r2:offers-open:2027-03-18T16:00:00Z"
)


@pytest.mark.parametrize(
    ("now", "verdict"),
    [
        (utc(2027, 3, 18, 14, 54), Delivery.PENDING),
        (utc(2027, 3, 18, 14, 55), Delivery.ON_TIME),
        (utc(2027, 3, 18, 14, 57), Delivery.ON_TIME),
        (utc(2027, 3, 18, 15, 30), Delivery.LATE),  # bot was down; deadline still ahead
        (utc(2027, 3, 18, 15, 55), Delivery.MISSED),  # the deadline itself has come
        (utc(2027, 3, 18, 17, 0), Delivery.MISSED),
    ],
)
def test_classify_deadline_reminder(now: datetime, verdict: Delivery) -> None:
    assert classify(HOUR_BEFORE_R2, now) is verdict


def test_classify_reminder_at_its_subject_time() -> None:
    assert classify(OFFERS_OPEN_R2, utc(2027, 3, 18, 16, 1)) is Delivery.ON_TIME
    assert classify(OFFERS_OPEN_R2, utc(2027, 3, 18, 16, 10)) is Delivery.MISSED
    assert classify(OFFERS_OPEN_R2, utc(2027, 3, 18, 16, 10), grace=timedelta(minutes=15)) is Delivery.ON_TIME


def test_due_after_downtime() -> None:
    specs = plan_round_reminders("im1", ROUNDS)
    # The bot comes back at 11:41 EDT on Thursday after being down since before 08:00.
    now = utc(2027, 3, 18, 15, 41)
    result = due(specs, now)
    verdicts = {spec.key: verdict for spec, verdict in result}
    assert verdicts["pim1:r1:offers-open:2027-03-18T13:00:00Z"] is Delivery.MISSED
    assert verdicts["pim1:r1:deadline-60:2027-03-18T12:55:00Z"] is Delivery.MISSED
    assert verdicts["pim1:r2:deadline-60:2027-03-18T15:55:00Z"] is Delivery.LATE  # due 10:55 EDT
    assert verdicts["pim1:r2:deadline-15:2027-03-18T15:55:00Z"] is Delivery.ON_TIME  # due 11:40 EDT
    assert verdicts["pim1:r2:lock-15:2027-03-18T15:55:00Z"] is Delivery.ON_TIME
    assert "pim1:r2:offers-open:2027-03-18T16:00:00Z" not in verdicts  # not due yet
    # Round 1's deadline passed at 08:55 and its offers expired at 11:00: too late to alarm.
    assert verdicts["pim1:r1:deadline-passed:2027-03-18T12:55:00Z"] is Delivery.MISSED
    assert len(verdicts) == 6 + 3
    assert all(spec.due_at <= now for spec, _ in result)
    assert [spec.due_at for spec, _ in result] == sorted(spec.due_at for spec, _ in result)


def test_due_skips_done_keys() -> None:
    specs = plan_round_reminders("im1", ROUNDS)
    now = utc(2027, 3, 18, 15, 45)
    done = [spec.key for spec, _ in due(specs, now)]
    assert due(specs, now, done_keys=done) == []


# --- parse_leads --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "leads"),
    [
        ("60,15", (60, 15)),
        ("15, 60", (60, 15)),
        ("60 15", (60, 15)),
        ('"60,15"', (60, 15)),
        ("1h,15m", (60, 15)),
        ("90 min, 30", (90, 30)),
        ("30,30", (30,)),
        ("none", ()),
        ("off", ()),
    ],
)
def test_parse_leads(text: str, leads: tuple[int, ...]) -> None:
    assert parse_leads(text) == leads


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "No leads given"),
        ("abc", "'abc' is not a number"),
        ("60,-5", "'-5' is not a number"),
        ("60,0", "between 1 minute and 48 hours"),
        ("5000", "between 1 minute and 48 hours"),
    ],
)
def test_parse_leads_errors(text: str, fragment: str) -> None:
    with pytest.raises(LeadsError) as info:
        parse_leads(text)
    assert fragment in str(info.value)
