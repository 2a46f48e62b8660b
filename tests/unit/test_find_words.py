"""`/soap find` words read into filters, in the domain: what a person typed comes back quoted as typed
in the refusal (the handler escapes it for Slack)."""

from __future__ import annotations

import pytest

from bot.domain.find_words import FindWordsError, parse_find


def test_filters_and_a_name_are_read() -> None:
    filters = parse_find(["step2>=240", "type:img", "visa:no", "state:oh", "Núñez"])
    assert filters.visa is False
    assert filters.degree_types == ("US IMG", "Non-US IMG")
    assert filters.states == ("OH",)
    assert filters.names == ("Núñez",)
    assert [(s.op, s.score) for s in filters.scores] == [(">=", 240)]


def test_an_unknown_filter_is_refused_with_a_guess_never_searched_as_a_name() -> None:
    with pytest.raises(FindWordsError, match=r"Unknown filter `stpe2`; nothing was searched\. Did you mean `step2`"):
        parse_find(["stpe2>=240"])


def test_the_refusal_quotes_the_words_as_typed() -> None:
    with pytest.raises(FindWordsError, match="not “<b>”"):
        parse_find(["visa:<b>"])
