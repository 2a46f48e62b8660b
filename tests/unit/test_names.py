"""One folding rule for every name search: the lookup, `/soap find`, the plan and the export's own
name columns compare names the same way."""

from __future__ import annotations

import pytest

from bot.domain.names import fold_name, squash_name


@pytest.mark.parametrize(("typed", "written"), [
    ("nunez", "Núñez"),
    ("o'brien", "O’Brien"),
    ("garcia lopez", "García  López"),
    ("smith-jones", "SMITH-JONES"),
    ("chloe", "Chloé."),
])
def test_a_name_typed_plainly_folds_like_the_name_as_written(typed: str, written: str) -> None:
    assert fold_name(typed) == fold_name(written)


def test_squashed_names_ignore_apostrophes_hyphens_and_spaces() -> None:
    assert squash_name(fold_name("O'Brien-McDonald")) == "obrienmcdonald"
    assert squash_name(fold_name("obrien")) in squash_name(fold_name("O’Brien-McDonald"))
