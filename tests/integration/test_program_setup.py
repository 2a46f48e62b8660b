"""Setting up a war room stores the program's time zone, which every date and time it shows is read in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.bootstrap import SETUP_HOOKS
from bot.errors import BadInput
from bot.services import programs
from storage.database import Database
from storage.models import Program


def test_a_time_zone_that_does_not_exist_is_refused_and_nothing_is_stored(database: Database) -> None:
    with pytest.raises(BadInput, match="not a time zone"):
        programs.setup_war_room(database, name="IM", team_id="T0TEST", user_id="U0DIRECTOR",
                                channel=programs.ChannelFacts("G0SETUP001", is_private=True), seed=SETUP_HOOKS,
                                timezone="America/Gotham", members=frozenset({"U0DIRECTOR"}))
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Program)) == 0
