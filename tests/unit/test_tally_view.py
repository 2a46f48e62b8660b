"""Who sees how the committee voted on an applicant (the blind-votes rule), with plain values."""

from __future__ import annotations

import pytest

from bot.domain.votes import TallyView, tally_view


@pytest.mark.parametrize(("blind", "director", "votes", "has_voted", "expected"), [
    (False, False, True, False, TallyView.TALLY),   # blind votes off: the card shows the tally anyway
    (True, False, True, False, TallyView.COUNT),    # a member who has not voted sees only the count
    (True, False, True, True, TallyView.TALLY),     # ...and the tally once they have voted
    (True, True, True, False, TallyView.NAMES),     # directors see everything, voted or not
    (False, True, True, False, TallyView.NAMES),
    (True, False, False, False, TallyView.TALLY),   # observers never vote, so nobody's vote follows theirs
])
def test_tally_view(blind: bool, director: bool, votes: bool, has_voted: bool, expected: TallyView) -> None:
    assert tally_view(blind=blind, director=director, votes=votes, has_voted=has_voted) is expected
