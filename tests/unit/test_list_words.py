"""What a director types about preference lists, read in the domain: a round number, a program code by
code or label; a refusal names the program's codes and quotes what was typed as typed."""

from __future__ import annotations

import pytest

from bot.domain.list_words import ListWordsError, parse_round, resolve_code
from bot.domain.program_codes import ProgramCode

CODES = {"1234140C0": ProgramCode("1234140C0", "Categorical"), "1234140P0": ProgramCode("1234140P0", "Preliminary")}


def test_a_round_is_a_small_whole_number() -> None:
    assert parse_round(" 2 ") == 2
    for typed in (None, "", "two", "1000", "²"):
        with pytest.raises(ListWordsError, match="Give the round number"):
            parse_round(typed)


def test_a_code_is_named_by_code_in_any_case_or_by_label() -> None:
    assert resolve_code(CODES, "1234140p0").code == "1234140P0"
    assert resolve_code(CODES, "categorical").code == "1234140C0"


def test_an_unknown_code_is_refused_naming_the_codes_and_quoting_the_words() -> None:
    with pytest.raises(ListWordsError, match=r"`<surgery>` is not one of this program's codes: `1234140C0"):
        resolve_code(CODES, "<surgery>")
