"""Adversarial fixtures: the e2e app (real HTTP path, both databases) plus ways to know it is done.

`served` is the e2e fixture's app: Bolt's listener pool and `room.work` (where work runs after the
acknowledgement) are one tracked pool, so a test can wait until every listener a request started,
and the work it handed on, has finished (`served.idle()`) before it asserts that *nothing*
happened. Without that, "zero posts" would only mean "zero posts yet".
`snapshot(served)` counts the rows of every table of the schema (storage.models.Base) but the replay
memory, so a test that compares two snapshots notices a store in any table, including tables added later.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.services.candidate_import import import_export
from storage.database import Database
from storage.models import Base, Program
from tests.e2e import conftest as e2e
from tests.e2e.conftest import DIRECTOR, WAR_ROOM, Served
from tests.factories import applicant_row, eras_csv
from tests.harness.slack_api import SlackStandIn

POST_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update", "chat.delete", "files.getUploadURLExternal",
                "files.completeUploadExternal", "files.upload_url", "views.open", "views.push", "views.update")
TODAY = date(2027, 3, 17)

# The e2e fixtures, shared by this folder.
standin = e2e.standin
clock = e2e.clock
slack = e2e.slack
war_room = e2e.war_room


# Every fixture is the e2e one: `served.idle()` waits for listeners and the work they deferred.
served = e2e.served
AdversarialServed = Served


# The transport's memory of verified requests (bot.web.ReplayMemory) grows with every signed request,
# stored or not, and so does the memory of event ids already taken (a redelivery is not handled twice,
# a refusal included): neither is something a request stores about a program.
# The record of what the bot posted in Slack (bot_posts, for the purge) follows the posts, which the
# tests count in the stand-in.
TRANSPORT_TABLES = ("seen_requests", "processed_events", "bot_posts")


def snapshot(database: Database) -> dict[str, int]:
    """Row count of every table in the schema (but the transport's)."""
    with database.reading() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables if table.name not in TRANSPORT_TABLES}


def posts(standin: SlackStandIn) -> list[str]:
    """Every Web API call that shows something to someone or changes a message or a view."""
    return [c.method for c in standin.calls if c.method in POST_METHODS]


def program_id(database: Database) -> int:
    with database.reading() as session:
        found = session.scalar(select(Program.id).where(Program.channel_id == WAR_ROOM))
    assert found is not None
    return found


def import_rows(database: Database, rows: list[dict[str, Any]]) -> None:
    result = import_export(database, program_id(database), eras_csv(rows), filename="export.csv",
                           actor=DIRECTOR, today=TODAY)
    assert result.ok, (result.problem, result.errors[:3])


@pytest.fixture
def stocked(served: AdversarialServed, war_room: str) -> str:
    """The war room with two imported applicants (AAMC ids from tests.factories.aamc_id(1) and (2))."""
    import_rows(served.room.database, [applicant_row(1), applicant_row(2)])
    return war_room
