"""Interview builders (thread posts, card lines, queue, scorecard modal, reminder) and the claim's time,
read across the daylight-saving change that precedes Match Week."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.console.blockkit import validate_blocks, validate_view
from bot.console.payloads import number_input, state_values, static_select
from bot.errors import BadInput
from bot.messages.ids import ActionId, CallbackId
from bot.messages.interviews import (
    DeadlineWarning,
    InterviewLine,
    Queue,
    ScorecardField,
    ScorecardLine,
    card_lines,
    event_post,
    interview_post,
    queue_message,
    read_scorecard,
    reminder_post,
    response_time,
    scorecard_modal,
    scorecard_post,
)
from bot.services.interviews import ScorecardInputError, check_scorecard, read_when

NY = ZoneInfo("America/New_York")
PHOENIX = ZoneInfo("America/Phoenix")
NOW = datetime(2027, 3, 17, 13, 0, tzinfo=UTC)  # Wed 17 Mar 09:00 EDT
HOSTILE = "<!channel> see <https://evil.example|click> & <@U0SOMEONE>"


def _line(**kw: object) -> InterviewLine:
    values: dict = {"id": 7, "aamc_id": "20000001", "candidate_name": "Avery Testperson", "state": "scheduled",
                    "proposed_by": "U0MEMBER01", "proposed_at": NOW - timedelta(hours=2),
                    "interviewer": "U0MEMBER02", "scheduled_at": NOW + timedelta(hours=5, minutes=30)}
    values.update(kw)
    return InterviewLine(**values)


def _card(**kw: object) -> ScorecardLine:
    values: dict = {"author": "U0MEMBER02", "clinical": 4, "communication": 5, "reliability": 3, "fit": 4,
                    "recommendation": "rank high"}
    values.update(kw)
    return ScorecardLine(**values)


def _mentions(payload: object) -> set[str]:
    return set(re.findall(r"<@([UW][A-Z0-9]+)>", json.dumps(payload)))


# --- the claim's time, in the program's zone, across the spring change ---------------------------


SAT_BEFORE_DST = datetime(2027, 3, 13, 15, 0, tzinfo=UTC)  # Sat 13 Mar 10:00 EST; DST starts Sun 14 at 02:00


def test_tomorrow_typed_the_day_before_the_change_is_read_on_daylight_time() -> None:
    assert read_when("tomorrow 09:00", now=SAT_BEFORE_DST, tz=NY) == datetime(2027, 3, 14, 13, 0, tzinfo=UTC)
    assert read_when("14:30", now=SAT_BEFORE_DST, tz=NY) == datetime(2027, 3, 13, 19, 30, tzinfo=UTC)


def test_match_week_times_are_edt_and_arizona_stays_on_mst() -> None:
    assert read_when("2027-03-16 14:30", now=SAT_BEFORE_DST, tz=NY) == datetime(2027, 3, 16, 18, 30, tzinfo=UTC)
    assert read_when("2027-03-16 14:30", now=SAT_BEFORE_DST, tz=PHOENIX) == datetime(2027, 3, 16, 21, 30,
                                                                                       tzinfo=UTC)


def test_a_time_in_the_spring_forward_gap_is_refused_with_the_reason() -> None:
    with pytest.raises(BadInput, match="does not exist in America/New_York"):
        read_when("tomorrow 02:30", now=SAT_BEFORE_DST, tz=NY)


def test_past_and_unreadable_times_are_specific_errors() -> None:
    with pytest.raises(BadInput, match=r"Wed 17 Mar 08:00 EDT is in the past\. Give a time still ahead"):
        read_when("08:00", now=NOW, tz=NY)
    with pytest.raises(BadInput, match="Could not understand 'soonish'"):
        read_when("soonish", now=NOW, tz=NY)


# --- thread posts ---------------------------------------------------------------------------------


def test_proposed_interview_post_has_a_claim_button_and_no_scorecard() -> None:
    _, blocks = interview_post(_line(state="proposed", interviewer=None, scheduled_at=None), NY)
    actions = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == [ActionId.INTERVIEW_CLAIM.value]
    assert "nobody has claimed it yet" in blocks[0]["text"]["text"]
    assert validate_blocks(blocks) == []
    # Bold is never nested (Slack shows `*Interview with *Name* (…)*` with stray asterisks).
    heading = blocks[0]["text"]["text"].splitlines()[0]
    assert heading.startswith("Interview with *") and heading.count("*") == 2


def test_scheduled_post_shows_interviewer_time_and_the_deadline_warning() -> None:
    warning = DeadlineWarning(1, datetime(2027, 3, 18, 12, 55, tzinfo=UTC))
    _, blocks = interview_post(_line(scheduled_at=datetime(2027, 3, 18, 14, 0, tzinfo=UTC)), NY, warning)
    text = json.dumps(blocks)
    assert "<@U0MEMBER02> interviews on *Thu 18 Mar 10:00 EDT*" in text
    assert "after the round 1 preference-list deadline (Thu 18 Mar 08:55 EDT)" in text
    assert ActionId.SCORECARD_OPEN.value in text


def test_hostile_names_and_notes_ping_no_one_and_stay_within_limits() -> None:
    line = _line(candidate_name=HOSTILE * 200, outcome_note=HOSTILE * 500, state="done", reached_at=NOW)
    for text, blocks in (interview_post(line, NY), event_post("done", line, "U0MEMBER02", NY, NOW, HOSTILE * 500),
                         reminder_post(_line(candidate_name=HOSTILE), tz=NY, now=NOW)):
        payload = json.dumps([text, blocks])
        assert "<!channel>" not in payload
        assert "<https://evil.example|click>" not in payload
        assert "U0SOMEONE>" not in payload.replace("&lt;@U0SOMEONE&gt;", "")
        assert validate_blocks(blocks) == []


def test_the_reminder_mentions_only_the_interviewer_with_a_countdown() -> None:
    text, blocks = reminder_post(_line(scheduled_at=NOW + timedelta(minutes=10)), tz=NY, now=NOW)
    assert _mentions([text, blocks]) == {"U0MEMBER02"}
    assert "Wed 17 Mar 09:10 EDT (in 10 min)" in text
    assert "reminder is late" not in json.dumps(blocks)
    _, late_blocks = reminder_post(_line(scheduled_at=NOW + timedelta(minutes=3)), tz=NY, now=NOW, late=True)
    assert "This reminder is late" in json.dumps(late_blocks)


# --- response time, card ----------------------------------------------------------------------------


def test_response_time_is_from_the_first_unanswered_try_to_the_answer() -> None:
    assert response_time(_line(reached_at=None)) is None
    assert response_time(_line(reached_at=NOW)) == "reached at the first try"
    assert response_time(_line(first_contact_at=NOW, reached_at=NOW + timedelta(hours=3, minutes=20))) == \
        "answered 3 h 20 min after the first try"
    assert response_time(_line(first_contact_at=NOW, reached_at=NOW + timedelta(days=1, hours=2))) == \
        "answered 1 day 2 h after the first try"


def test_card_lines_average_each_dimension_and_count_recommendations() -> None:
    cards = [_card(), _card(author="U0MEMBER03", clinical=3, communication=4, reliability=4, fit=5,
                            recommendation="rank", red_flags="Vague about a gap year")]
    lines = card_lines(_line(state="done", reached_at=NOW), cards, NY)
    assert lines[1] == ("2 scorecards, averages: Clinical *3.5* of 5 · Communication *4.5* of 5 · "
                        "Reliability *3.5* of 5 · Fit *4.5* of 5")
    one = card_lines(_line(state="done", reached_at=NOW), cards[:1], NY)
    assert one[1].startswith("1 scorecard: Clinical *4.0* of 5")
    assert lines[2] == "Recommendation: *rank high*, *rank*"
    assert lines[3].startswith(":warning: Red flags heard in 1 of 2 scorecards")
    assert card_lines(None, [], NY) == ("No interview yet.",)


def test_unreachable_card_line_keeps_the_first_try() -> None:
    line = _line(state="unreachable", first_contact_at=NOW, outcome_note="voicemail")
    assert "first try Wed 17 Mar 09:00 EDT" in card_lines(line, [], NY)[0]


# --- the queue --------------------------------------------------------------------------------------


def test_queue_groups_and_the_callers_next_step() -> None:
    queue = Queue(unclaimed=(_line(id=1, state="proposed", interviewer=None, scheduled_at=None),),
                  scheduled=(_line(id=2), _line(id=3, interviewer="U0MEMBER03")),
                  done_today=(_line(id=4, state="done", reached_at=NOW, scorecards=0),))
    text, blocks = queue_message(queue, tz=NY, now=NOW, viewer="U0MEMBER02")
    assert "Proposed, nobody has claimed them (1)" in text
    assert "<@U0MEMBER02>, Wed 17 Mar 14:30 EDT (in 5 h 30 min)" in text
    buttons = [(b["accessory"]["action_id"]) for b in blocks if b.get("accessory")]
    # Claim the unclaimed one; scorecard for the caller's own scheduled and done ones; nothing for M3's.
    assert buttons == [ActionId.INTERVIEW_CLAIM.value, ActionId.SCORECARD_OPEN.value, ActionId.SCORECARD_OPEN.value]
    assert validate_blocks(blocks) == []


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 120), st.integers(0, 120), st.integers(0, 120), st.text(max_size=300))
def test_queue_stays_within_slack_limits_whatever_its_size(unclaimed: int, scheduled: int, done: int,
                                                           name: str) -> None:
    queue = Queue(tuple(_line(id=i, candidate_name=name, state="proposed") for i in range(unclaimed)),
                  tuple(_line(id=i, candidate_name=name) for i in range(scheduled)),
                  tuple(_line(id=i, candidate_name=name, state="done", reached_at=NOW) for i in range(done)))
    text, blocks = queue_message(queue, tz=NY, now=NOW, viewer="U0MEMBER02")
    assert len(blocks) <= 50
    assert len(text) <= 4000
    assert validate_blocks(blocks) == []


# --- the scorecard ------------------------------------------------------------------------------------


def test_modal_is_valid_and_carries_the_callback_and_metadata() -> None:
    view = scorecard_modal(candidate_name=HOSTILE, aamc_id="20000001", private_metadata='{"program":1}')
    assert view["callback_id"] == CallbackId.SCORECARD_MODAL.value
    assert view["private_metadata"] == '{"program":1}'
    assert validate_view(view) == []
    assert "<!channel>" not in json.dumps(view)
    refill = scorecard_modal(candidate_name="A", aamc_id="1", private_metadata="", initial=_card(comment="ok"))
    assert validate_view(refill) == []
    assert '"initial_value": "4"' in json.dumps(refill)


def _raw(**overrides: object) -> dict:
    spec: dict = {ScorecardField.CLINICAL.value: {"value": number_input("4")},
                  ScorecardField.COMMUNICATION.value: {"value": number_input("5")},
                  ScorecardField.RELIABILITY.value: {"value": number_input("3")},
                  ScorecardField.FIT.value: {"value": number_input("4")},
                  ScorecardField.RED_FLAGS.value: {"value": None},
                  ScorecardField.RECOMMENDATION.value: {"value": static_select("rank")},
                  ScorecardField.COMMENT.value: {"value": "  solid  "}}
    spec.update(overrides)
    return read_scorecard(state_values(spec))


def test_read_and_check_a_good_scorecard() -> None:
    values = check_scorecard(_raw())
    assert values == {"clinical": 4, "communication": 5, "reliability": 3, "fit": 4, "recommendation": "rank",
                      "red_flags": None, "comment": "solid"}


@pytest.mark.parametrize("bad", ["0", "6", "7", "2.5", "abc", None])
def test_out_of_range_scores_are_field_errors(bad: str | None) -> None:
    with pytest.raises(ScorecardInputError) as raised:
        check_scorecard(_raw(**{ScorecardField.FIT.value: {"value": number_input(bad)}}))
    assert set(raised.value.errors) == {ScorecardField.FIT.value}
    assert "1 to 5" in raised.value.errors[ScorecardField.FIT.value]


def test_missing_recommendation_and_too_long_comment_are_field_errors() -> None:
    with pytest.raises(ScorecardInputError) as raised:
        check_scorecard(_raw(**{ScorecardField.RECOMMENDATION.value: {"value": static_select(None)},
                                ScorecardField.COMMENT.value: {"value": "x" * 3001}}))
    assert set(raised.value.errors) == {ScorecardField.RECOMMENDATION.value, ScorecardField.COMMENT.value}


def test_scorecard_post_is_short_escaped_and_valid() -> None:
    text, blocks = scorecard_post(_card(red_flags=HOSTILE, comment=HOSTILE * 300), candidate_name=HOSTILE,
                                  aamc_id="20000001")
    assert "recommends rank high" in text
    assert "<!channel>" not in json.dumps([text, blocks])
    assert _mentions([text, blocks]) == {"U0MEMBER02"}
    assert validate_blocks(blocks) == []
