"""The card the clock process redraws has every section the web process draws (Interview included).

The clock runs as its own process (`soapbot clock`), which imports far less than the web process;
the test redraws a stale card in a real subprocess that imports only what `soapbot clock` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bot.console.signing import SlackClientSim
from bot.messages.ids import ActionId
from bot.services.candidate_cards import redraw_stale_cards
from bot.services.candidate_import import import_export
from storage.models import Candidate, Program
from tests.e2e.conftest import BOT_TOKEN, DIRECTOR, MEMBERS, Served
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.harness.slack_api import SlackStandIn

# What `soapbot clock` runs before its scheduler starts (bot.cli.main, then _dispatch), and then the
# `cards.redraw` job as the scheduler calls it. It prints which web-only modules it has loaded.
CLOCK_PROCESS = """
import sys
from bot import cli
cli._parser().parse_args(["clock"])
from bot.settings import load_settings
settings = load_settings(env_file=None)
from bot.bootstrap import build_war_room
from bot.clock import make_scheduler, run_job
make_scheduler(build_war_room(settings))
run_job("cards.redraw")
print(sorted(name for name in sys.modules if name.split(".")[0] == "handlers" or name in ("bot.app", "bot.web")))
"""


def _mark_stale(served: Served) -> None:
    with served.room.database.transaction() as session:
        session.execute(update(Candidate).values(card_stale=True))


def _titles_and_buttons(blocks: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    titles = [block["text"]["text"].split("\n")[0] for block in blocks
              if block["type"] == "section" and block.get("text", {}).get("text", "").startswith("*")]
    buttons = [element["action_id"] for block in blocks if block["type"] == "actions"
               for element in block["elements"]]
    return titles, buttons


def test_the_clock_process_redraws_the_card_with_the_interview_section(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, tmp_path: Path) -> None:
    with served.room.database.reading() as session:
        program_id = session.scalars(select(Program.id).where(Program.channel_id == war_room)).one()
    imported = import_export(served.room.database, program_id, eras_csv([applicant_row(1)]), actor=DIRECTOR,
                             today=date(2027, 3, 17), filename="export.csv")
    assert imported.new == 1
    slack.command(f"interview {aamc_id(1)}", MEMBERS[0], war_room)  # posts the card, then the interview
    standin.wait_for("chat.postMessage", count=2)
    served.idle()

    with served.room.database.reading() as session:
        thread = session.scalars(select(Candidate.thread_ts)).one()

    def card_updates() -> list[dict[str, Any]]:
        return [call.params for call in standin.calls_to("chat.update") if call.params["ts"] == thread]

    _mark_stale(served)
    assert redraw_stale_cards(served.room) == 1
    web = _titles_and_buttons(card_updates()[-1]["blocks"])
    assert "*Interview*" in web[0] and ActionId.INTERVIEW_CLAIM.value in web[1]

    _mark_stale(served)
    before = len(card_updates())
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": standin.url,
           "DATABASE_URL": served.settings.database_url}
    env.pop("SLACK_SIGNING_SECRET", None)
    env.pop("SLACK_APP_TOKEN", None)
    done = subprocess.run([sys.executable, "-c", CLOCK_PROCESS], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", "the clock process loaded the web app: " + done.stdout
    redrawn = card_updates()
    assert len(redrawn) == before + 1, "the clock process did not redraw the card: " + done.stderr[-2000:]
    assert _titles_and_buttons(redrawn[-1]["blocks"]) == web
