"""Which thread replies are reference notes: the rule stated in /soap help."""

from __future__ import annotations

import pytest

from bot.domain.thread_replies import gist, note_text


@pytest.mark.parametrize("reply", ["+1", "agree", "ok I will call his PD after lunch", "thanks!", "ref:", "",
                                   "Strong +1", "will do, calling at 2"])
def test_reactions_and_logistics_are_not_notes(reply: str) -> None:
    assert note_text(reply) is None


@pytest.mark.parametrize(("reply", "stored"), [
    ("ref: PD says yes", "PD says yes"),
    ("REF: +1 from her chief", "+1 from her chief"),
    ("note: called Dr. Example", "called Dr. Example"),
    ("Spoke with her PD: strong clinician", "Spoke with her PD: strong clinician"),
    ("Letter writer: top 5% of students", "Letter writer: top 5% of students"),
    ("PD has concerns about reliability on nights", "PD has concerns about reliability on nights"),
    ("Talked to the clerkship director at length and she described him as quiet but thorough",
     "Talked to the clerkship director at length and she described him as quiet but thorough"),
])
def test_a_leading_ref_a_rating_or_length_makes_a_note(reply: str, stored: str) -> None:
    assert note_text(reply) == stored


def test_the_gist_is_the_first_words_on_one_line() -> None:
    assert gist("Short note") == "Short note"
    long = "word " * 40
    assert gist(long).endswith("…") and len(gist(long)) <= 111
    assert "\n" not in gist("two\nlines")
