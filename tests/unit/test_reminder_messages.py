"""Reminder and calendar messages: what the war room reads, within Slack's limits whatever the data."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.reminders import MissedNote, ReminderKind, ReminderView
from bot.domain.soap_calendar import Round, default_rounds, events_for
from bot.messages.reminders import MAX_MENTIONS, reminder_message
from bot.messages.schedule import schedule_blocks, schedule_change_text
from tests.harness.slack_text import fallback

NY = ZoneInfo("America/New_York")
PHOENIX = ZoneInfo("America/Phoenix")
DEADLINE = datetime(2027, 3, 18, 12, 55, tzinfo=UTC)  # 08:55 EDT
MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def view(**overrides: object) -> ReminderView:
    values: dict[str, object] = {
        "kind": ReminderKind.DEADLINE_LEAD, "round": 1, "subject_at": DEADLINE,
        "now": DEADLINE - timedelta(minutes=15), "tz": NY, "missing": {"U0MEMBER02": 3, "U0MEMBER01": 1},
        "candidates_total": 12,
    }
    values.update(overrides)
    return ReminderView(**values)  # type: ignore[arg-type]


def sections(blocks: list[dict]) -> list[str]:
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    texts += [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    return texts


def test_deadline_reminder_says_what_when_and_who_has_not_voted() -> None:
    text, blocks = reminder_message(view())
    assert "Round 1 preference-list deadline:* Thu 18 Mar 08:55 EDT (in 15 min)" in fallback(text)
    assert "*Votes missing:* <@U0MEMBER02> (3 of 12), <@U0MEMBER01> (1 of 12)." in fallback(text)
    assert MENTION.findall(json.dumps(blocks)) == ["U0MEMBER02", "U0MEMBER01"]
    assert "late" not in text


def test_same_instant_shown_in_arizona_after_the_spring_change() -> None:
    text, _ = reminder_message(view(tz=PHOENIX))
    assert "Thu 18 Mar 05:55 MST (in 15 min)" in fallback(text)


def test_everyone_voted_and_empty_list_mention_no_one() -> None:
    all_voted, _ = reminder_message(view(missing={}))
    assert "Every committee member has voted on all 12 candidates" in all_voted
    assert MENTION.findall(all_voted) == []
    empty, _ = reminder_message(view(missing={}, candidates_total=0))
    assert "No candidates are on the list yet." in empty


def test_lock_warning_addresses_directors_only() -> None:
    text, _ = reminder_message(view(kind=ReminderKind.LOCK_WARNING, directors=("U0DIRECTOR",)))
    assert MENTION.findall(text) == ["U0DIRECTOR"]
    assert "not locked" in text
    assert "/soap list lock 1" in text


def test_offers_messages_name_the_expiry() -> None:
    offers = datetime(2027, 3, 18, 13, 0, tzinfo=UTC)
    text, _ = reminder_message(view(kind=ReminderKind.OFFERS_OPEN, subject_at=offers, now=offers,
                                    expires_at=offers + timedelta(hours=2)))
    assert "Round 1 offers go out* Thu 18 Mar 09:00 EDT (now). They expire Thu 18 Mar 11:00 EDT." in fallback(text)
    expiry, _ = reminder_message(view(kind=ReminderKind.OFFERS_EXPIRE, subject_at=offers, now=offers))
    assert "Round 1 offers expire* Thu 18 Mar 09:00 EDT (now)" in fallback(expiry)


def test_late_and_missed_reminders_are_said() -> None:
    missed = tuple(MissedNote(ReminderKind.OFFERS_OPEN, n, DEADLINE) for n in range(1, 12))
    text, blocks = reminder_message(view(late=True, missed=missed))
    assert "This reminder is late" in fallback(text)
    assert "could not be sent in time: Round 1 offers go out (Thu 18 Mar 08:55 EDT)" in fallback(text)
    assert "and 3 more." in fallback(text)
    assert len(blocks) == 4


def test_a_huge_committee_stays_within_slack_limits() -> None:
    missing = {f"U{i:09d}": i % 40 + 1 for i in range(800)}
    text, blocks = reminder_message(view(missing=missing))
    assert all(len(s) <= 3000 for s in sections(blocks))
    assert len(MENTION.findall(json.dumps(blocks))) == MAX_MENTIONS
    assert "and 740 more" in text


@given(st.lists(st.text(min_size=1, max_size=30), max_size=50))
def test_odd_user_ids_never_become_broadcasts(ids: list[str]) -> None:
    text, blocks = reminder_message(view(missing=dict.fromkeys(ids, 1),
                                         kind=ReminderKind.DEADLINE_LEAD))
    everything = text + json.dumps(blocks)
    for ping in ("<!channel>", "<!here>", "<!everyone>"):
        assert ping not in everything
    assert all(len(s) <= 3000 for s in sections(blocks))


def test_calendar_lists_every_event_past_and_next() -> None:
    rounds = default_rounds(2027)
    events = events_for(rounds, 2027)
    now = datetime(2027, 3, 18, 12, 0, tzinfo=UTC)  # Thu 08:00 EDT
    text, blocks = schedule_blocks(program_name="Internal <!channel> Medicine", match_year=2027, events=events,
                                   leads=(60, 15), tz=NY, now=now)
    assert len(text.splitlines()) == len(events) + 2
    assert "~Mon 15 Mar 10:00 EDT~" in fallback(text)
    assert ":arrow_right: *Thu 18 Mar 08:55 EDT*  Round 1 preference-list deadline (in 55 min)" in fallback(text)
    # Each reader sees the time in their own zone; the fallback names the program's.
    assert ":arrow_right: *<!date^1805374500^{date_short_pretty} {time}|Thu 18 Mar 08:55 EDT>*" in text
    assert "<!channel>" not in json.dumps(blocks)
    assert "60 min and 15 min before each deadline" in fallback(text)
    assert len(blocks) <= 50
    assert all(len(s) <= 3000 for s in sections(blocks))


def test_calendar_with_many_rounds_stays_within_limits() -> None:
    start = datetime(2027, 3, 18, 9, 0, tzinfo=UTC)
    rounds = [Round(n, start + timedelta(hours=3 * n) - timedelta(minutes=5), start + timedelta(hours=3 * n),
                    start + timedelta(hours=3 * n + 2)) for n in range(1, 40)]
    _, blocks = schedule_blocks(program_name="P", match_year=2027, events=events_for(rounds, 2027), leads=(),
                                tz=NY, now=start)
    assert len(blocks) <= 50
    assert all(len(s) <= 3000 for s in sections(blocks))


def test_schedule_change_announcement_shows_before_and_after() -> None:
    before = default_rounds(2027)[1]
    after = Round(2, before.deadline_at - timedelta(minutes=25), before.offers_at, before.expires_at)
    text = schedule_change_text(actor_mention="<@U0DIRECTOR>", round_number=2, before=before, after=after,
                                leads_before=None, leads_after=None, tz=NY)
    assert "*Round 2* is now deadline Thu 18 Mar 11:30 EDT" in fallback(text)
    assert "(was deadline Thu 18 Mar 11:55 EDT" in fallback(text)
    same = schedule_change_text(actor_mention="x", round_number=2, before=before, after=before,
                                leads_before=(60, 15), leads_after=(60, 15), tz=NY)
    assert same.startswith("Nothing changed")


def test_the_alarm_for_an_unlocked_list_says_to_lock_it_before_recording_the_certification() -> None:
    from bot.domain.reminders import ListState
    unlocked = view(kind=ReminderKind.DEADLINE_ALARM, now=DEADLINE, directors=("U0DIRECTOR",),
                    lists=(ListState("1234140C0", "Categorical", False, False),
                           ListState("1234140P0", "Preliminary", True, False)))
    text, _ = reminder_message(unlocked)
    assert "1234140C0 Categorical: not locked" in text
    assert "lock it (`/soap list lock 1`), enter and certify the list there now" in text
    locked = view(kind=ReminderKind.DEADLINE_ALARM, now=DEADLINE, directors=("U0DIRECTOR",),
                  lists=(ListState("1234140P0", "Preliminary", True, False),))
    text, _ = reminder_message(locked)
    assert "/soap list lock" not in text
    assert "enter and certify the list there now and record it with `/soap list certified 1`" in text


def test_the_expiry_reminder_with_no_offer_left_open_does_not_claim_every_outcome_is_recorded() -> None:
    offers = datetime(2027, 3, 18, 15, 0, tzinfo=UTC)
    # Nothing recorded at all looks the same to the bot as everything recorded: it must not say "every".
    text, _ = reminder_message(view(kind=ReminderKind.OFFERS_EXPIRE, subject_at=offers, now=offers, unanswered=()))
    assert "Every offer" not in text
    assert "No offer of the round is recorded here as still unanswered" in text
    assert "`/soap offer AAMC ID 1 accepted|rejected|expired`" in text
