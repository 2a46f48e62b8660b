"""The check before a lock: who has not voted, who on the list would get an offer the committee may not
want, and who R3 would offer to, with Lock and Cancel (plain values, no Slack)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.domain.lock_check import ListedApplicant, LockCheck, warnings_for
from bot.messages.ids import ActionId, ListButton, read_button
from bot.messages.lock_check import lock_check_message

T = datetime(2027, 3, 17, 20, tzinfo=UTC)
LATER = datetime(2027, 3, 18, 8, tzinfo=UTC)


def test_each_risky_applicant_on_the_list_is_named_with_every_reason() -> None:
    listed = [
        ListedApplicant(1, "1234140C0", "27000001", "Clean, Ana", bucket="internal", last_vote_at=T),
        ListedApplicant(3, "1234140C0", "27000003", "Concern, Bo", bucket="strong paper", last_concern_at=LATER,
                        last_vote_at=T),
        ListedApplicant(27, "1234140C0", "27000027", "Old, Cy", bucket="do not rank",
                        bucket_reasons=("graduated 11 years ago",)),
        ListedApplicant(2, "1234140P0", "27000004", "Visa, Di",
                        dealbreakers=("needs an H-1B visa; the program sponsors J-1",)),
        ListedApplicant(4, "1234140P0", "27000005", "Noted, Ed", last_concern_at=T, last_vote_at=LATER),
    ]
    warnings = warnings_for(listed)
    assert [(w.rank, w.code, w.aamc_id) for w in warnings] == [
        (3, "1234140C0", "27000003"), (27, "1234140C0", "27000027"), (2, "1234140P0", "27000004")]
    assert warnings[0].reason == "a concern note newer than the last vote"
    assert warnings[1].reason == "in the do-not-rank bucket (graduated 11 years ago)"
    assert warnings[2].reason == "deal-breaker: needs an H-1B visa; the program sponsors J-1"


def test_the_message_names_the_missing_voter_and_the_warning_and_offers_lock_and_cancel() -> None:
    check = LockCheck(round=1, code=None, lists=(("1234140C0 Categorical", 27), ("1234140P0 Preliminary", 4)),
                      not_voted=(("U0DIRECTOR", 26),), listed_total=27,
                      warnings=warnings_for([ListedApplicant(27, "1234140C0", "27000027", "Old, Cy",
                                                             bucket="do not rank",
                                                             bucket_reasons=("graduated 11 years ago",))]),
                      offers=(("1234140C0 Categorical", ("Top, Al", "Next, Bea")), ("1234140P0 Preliminary", ())))
    text, blocks = lock_check_message(check)
    assert "Nothing is locked until you press *Lock*" in text
    assert "*Not voted yet:* <@U0DIRECTOR> (26 of 27)" in text
    assert "• 1234140C0 #27 Old, Cy (27000027): in the do-not-rank bucket (graduated 11 years ago)" in text
    assert "R3 would offer 1234140C0 Categorical to: Top, Al, Next, Bea." in text
    assert "R3 would offer 1234140P0 Preliminary to: nobody" in text
    buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [(b["action_id"], b["text"]["text"]) for b in buttons] == [
        (ActionId.LIST_LOCK_CONFIRM.value, "Lock"), (ActionId.LIST_LOCK_CANCEL.value, "Cancel")]
    assert read_button(ListButton, buttons[0]["value"]) == ListButton(1, None, check.fingerprint)
    assert "`/soap list lock 1 confirm`" in json.dumps(blocks)


def test_names_from_the_file_are_escaped_and_one_code_is_carried_by_the_buttons() -> None:
    check = LockCheck(round=2, code="1234140P0", lists=(("1234140P0 Preliminary", 1),), not_voted=(),
                      listed_total=1, warnings=warnings_for([ListedApplicant(
                          1, "1234140P0", "27000009", "<!channel> Mock", bucket="do not rank")]),
                      offers=(), after_deadline=True)
    text, blocks = lock_check_message(check)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; Mock" in text
    assert "R3 may already have used the list it had" in text
    assert "Every committee member has voted" in text
    buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert read_button(ListButton, buttons[0]["value"]) == ListButton(2, "1234140P0", check.fingerprint)
