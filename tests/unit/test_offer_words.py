"""What people type about offers, read into values (plain values, no Slack, no database)."""

from __future__ import annotations

import pytest

from bot.domain.offer_words import (
    OfferRequest,
    OutcomeButton,
    StatusRequest,
    WordsError,
    parse_availability,
    parse_offer_words,
    parse_position_pairs,
    parse_status_words,
)
from bot.domain.offers import Availability, OfferStatus, PositionKind
from bot.messages.ids import button_value, read_button


def test_a_name_of_several_words_then_round_outcome_and_code() -> None:
    assert parse_offer_words(["Ada", "Okafor", "2", "declined", "1234140P0"]) == OfferRequest(
        "Ada Okafor", 2, OfferStatus.REJECTED, "1234140P0")


def test_clear_has_no_outcome() -> None:
    request = parse_offer_words(["12345678", "1", "clear"])
    assert request.clear and request.code is None


def test_a_round_that_is_not_a_number_is_named_in_the_refusal() -> None:
    with pytest.raises(WordsError, match="`two` is not a round number"):
        parse_offer_words(["12345678", "two", "accepted"])


def test_availability_words() -> None:
    assert parse_availability("accepted elsewhere") is Availability.ACCEPTED_ELSEWHERE
    with pytest.raises(WordsError, match="is not a status"):
        parse_availability("gone")


def test_position_pairs_refuse_a_key_given_twice() -> None:
    assert parse_position_pairs({"categorical": "3", "Pre  liminary": "1"}) == {"categorical": 3, "Pre liminary": 1}
    with pytest.raises(WordsError, match="given twice"):
        parse_position_pairs({"categorical": "3", "Categorical": "1"})


def test_an_outcome_button_reads_back_what_it_wrote() -> None:
    button = OutcomeButton("14000011", 2, OfferStatus.ACCEPTED, "1234140C0")
    read = read_button(OutcomeButton, button_value(button))
    assert read.request == OfferRequest("14000011", 2, OfferStatus.ACCEPTED, "1234140C0")
    # buttons already posted carry pipe-joined values
    assert read_button(OutcomeButton, "14000011|2|accepted|1234140C0") == button
    assert read_button(OutcomeButton, "14000011|1|expired").code is None  # drawn before codes existed
    for forged in ("14000011|x|accepted", '{"aamc_id": "1", "round_number": 1, "status": "maybe", "code": null}'):
        with pytest.raises(ValueError, match="out of date"):
            read_button(OutcomeButton, forged)


def test_status_words_with_round_and_kind() -> None:
    assert parse_status_words(["Ada", "Okafor", "accepted-elsewhere", "round", "1"]) == StatusRequest(
        "Ada Okafor", Availability.ACCEPTED_ELSEWHERE, 1)
    assert parse_status_words(["12345678", "accepted", "elsewhere", "advanced", "round", "2"]) == StatusRequest(
        "12345678", Availability.ACCEPTED_ELSEWHERE, 2, PositionKind.ADVANCED)
    assert parse_status_words(["12345678", "withdrawn"]) == StatusRequest("12345678", Availability.WITHDRAWN)
    with pytest.raises(WordsError, match="`x` is not a round number"):
        parse_status_words(["12345678", "withdrawn", "round", "x"])
    with pytest.raises(WordsError, match="takes no round"):
        parse_status_words(["12345678", "available", "round", "1"])
