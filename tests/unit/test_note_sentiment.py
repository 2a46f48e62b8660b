"""A note's sentiment read from its words: the cues, negations, and the gravest reading winning."""

from __future__ import annotations

import pytest

from bot.domain.note_sentiment import sentiment_of
from bot.domain.notes import Sentiment

ADVISES, CONCERN, STRONG, POSITIVE = (Sentiment.ADVISES_AGAINST, Sentiment.CONCERN, Sentiment.STRONG_ADVOCATE,
                                      Sentiment.POSITIVE)


@pytest.mark.parametrize(("text", "expected"), [
    ("Called Dr. Rivera: some concern about reliability on nights", CONCERN),
    ("PD mentioned a red flag with attendance", CONCERN),
    ("Her chair is worried about her fund of knowledge", CONCERN),
    ("Strong clinically, great with patients", STRONG),
    ("I highly recommend him", STRONG),
    ("PD recommends her for our program", POSITIVE),
    ("Solid intern, reliable on call", POSITIVE),
    ("The PD advised against ranking him", ADVISES),
    ("Would not rank this applicant", ADVISES),
])
def test_a_cue_gives_its_sentiment(text: str, expected: Sentiment) -> None:
    assert sentiment_of(text) is expected


@pytest.mark.parametrize("text", [
    "No concerns.",
    "no concerns at all from the PD",
    "No major concerns about professionalism",
    "She didn't have any concerns",
    "Attending said there were no red flags",
    "Not a red flag in my view",
    "Nothing concerning in his evaluations",
    "Never had a concern with her",
    "Left a voicemail, will call back after lunch",
    "",
])
def test_a_negated_concern_is_no_concern_and_plain_logistics_have_no_sentiment(text: str) -> None:
    assert sentiment_of(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("I would not recommend her", ADVISES),
    ("I wouldn't recommend him for a categorical spot", ADVISES),
    ("Cannot recommend", ADVISES),
    ("Not strong clinically", CONCERN),
    ("I can't recommend her highly enough", STRONG),
    ("No concerns, strongly recommend", STRONG),
    ("Would not hesitate to recommend", POSITIVE),
    ("Recommend without reservation", POSITIVE),
])
def test_negation_turns_praise_around_and_only_reaches_across_filler_words(text: str, expected: Sentiment) -> None:
    assert sentiment_of(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Strong clinically, but a red flag on professionalism", CONCERN),
    ("Recommends her; some concerns about charting speed", CONCERN),
    ("Excellent resident. Would not rank him though, per the PD", ADVISES),
    ("No concerns. Solid and reliable", POSITIVE),
])
def test_the_gravest_reading_of_a_note_wins(text: str, expected: Sentiment) -> None:
    assert sentiment_of(text) is expected


def test_a_negation_in_another_clause_does_not_reach_the_cue() -> None:
    assert sentiment_of("No, she has concerns about him") is CONCERN
    assert sentiment_of("Not my call, but a real concern was raised") is CONCERN
