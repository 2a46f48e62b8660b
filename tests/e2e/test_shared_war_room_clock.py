"""A real `soapbot clock` posts nothing more into a war room once its channel is shared with another
organisation (Slack Connect): the directors get the one closing notice, and the reminders and the
deadline alarm due afterwards are held back, while another program's war room gets its alarm as usual.

Both programs are set up through signed requests; both round 1 deadlines are put a few seconds ahead
in the database (as in `test_deadline_alarm.py`). The other program's alarm is the clock's proof of
having handled that moment: due at the same second, it is posted by the same tick or a later one.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.console.signing import SlackClientSim
from storage.models import Program, Reminder
from tests.e2e.conftest import BOT_TOKEN, DIRECTOR, OTHER_CHANNEL, SIGNING_SECRET, Served
from tests.harness.deadlines import ALARM, round_one_deadline_in
from tests.harness.processes import start, stop
from tests.harness.slack_api import SlackStandIn

OTHER_ORG = "T0PARTNER1"


def test_a_clock_posts_nothing_into_a_war_room_shared_with_another_organisation(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, database_url: str,
        tmp_path: Path) -> None:
    assert slack.command("setup Surgery – Elsewhere", DIRECTOR, OTHER_CHANNEL).status == 200
    standin.wait_for("response_url", count=1)
    standin.set_channel(war_room, is_private=True, shared_with=[OTHER_ORG])  # after setup: Slack Connect
    standin.reset()
    shared_id = round_one_deadline_in(served.room.database, war_room, 3)
    round_one_deadline_in(served.room.database, OTHER_CHANNEL, 3)
    clock = start("clock", tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                  SLACK_API_URL=standin.url, DATABASE_URL=database_url, CLOCK_TICK_SECONDS="1")
    try:
        deadline = time.monotonic() + 60
        while not [m for m in standin.messages(OTHER_CHANNEL) if ALARM in m.get("text", "")]:
            if clock.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the open war room got no alarm within 60 s: " + stop(clock))
            time.sleep(0.2)  # polling the stand-in for the clock's progress
    finally:
        log = stop(clock)
    posted = [c.params for c in standin.calls_to("chat.postMessage") if c.params.get("channel") == war_room]
    assert len(posted) == 1, [p.get("text") for p in posted]
    assert "closed this war room" in posted[0]["text"] and "shared with another organisation" in posted[0]["text"]
    assert f"<@{DIRECTOR}>" in posted[0]["text"]
    assert not [c for c in standin.calls if c.method in ("chat.update", "files.completeUploadExternal")
                and c.params.get("channel", c.params.get("channel_id")) == war_room]
    with served.room.database.reading() as session:
        assert session.scalar(select(Program.closed_at).where(Program.id == shared_id)) is not None
        alarm = session.scalar(select(Reminder.state).where(
            Reminder.program_id == shared_id, Reminder.key.like("%:r1:deadline-passed:%"),
            Reminder.state != "cancelled"))
    assert alarm == "pending", "held back, not recorded as sent or missed"
    assert "Traceback" not in log
