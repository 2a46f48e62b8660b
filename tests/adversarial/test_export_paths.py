"""A program's name chooses no path: `soapbot export` and `soapbot export-list` (real processes) write
their files in the current directory, named from a slug of the program's name, whatever it is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.console.signing import SlackClientSim
from bot.services.records import file_slug
from tests.adversarial.conftest import AdversarialServed, import_rows
from tests.e2e.conftest import DIRECTOR, MEMBERS, WAR_ROOM
from tests.factories import aamc_id, applicant_row
from tests.harness.processes import SOAPBOT, soapbot_env
from tests.harness.slack_api import SlackStandIn

HOSTILE = ["../../../../{tmp}/x/PWNED", "{tmp}/x/ABSOLUTE", "..", "C:\\Windows\\evil", "~/.ssh/authorized_keys"]


def _answer(slack: SlackClientSim, standin: SlackStandIn, user: str, words: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.command(words, user, WAR_ROOM)
    return str(standin.wait_for("response_url", count=before + 1, timeout=15)[-1].params.get("text"))


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.timeout(240)
def test_a_hostile_program_name_writes_only_in_the_current_directory(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, tmp_path: Path) -> None:
    """Defence: bot.services.records.file_slug (letters, digits, dashes) for both exports. Before: after
    `/soap setup ../../../../tmp/x/PWNED` the archive went to ../../../../tmp/x/; an absolute name too."""
    cwd, elsewhere = tmp_path / "cwd" / "a" / "b" / "c" / "d", tmp_path / "elsewhere"
    cwd.mkdir(parents=True)
    (elsewhere / "x").mkdir(parents=True)
    env = soapbot_env(DATABASE_URL=served.settings.database_url)
    first = True
    for hostile in HOSTILE:
        name = hostile.format(tmp=elsewhere)
        assert _answer(slack, standin, DIRECTOR, f"setup {name}").startswith(("Done", "Renamed")), name
        if first:
            import_rows(served.room.database, [applicant_row(1), applicant_row(2)])
            for member in MEMBERS[:2]:
                _answer(slack, standin, member, f"vote {aamc_id(1)} high")
            _answer(slack, standin, DIRECTOR, "positions set categorical=1")
            assert "lock" in _answer(slack, standin, DIRECTOR, "list lock 1 confirm").lower()
            first = False
        before_cwd = _files(cwd)
        for command in (["export"], ["export-list", "--round", "1"]):
            done = subprocess.run([SOAPBOT, *command, "--program", WAR_ROOM], cwd=cwd, env=env,
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr[-2000:]
        written = _files(cwd) - before_cwd
        assert len(written) == 2 and all("/" not in f and "\\" not in f for f in written), written
        assert all(f.startswith(file_slug(name)) for f in written), (written, file_slug(name))
        assert _files(elsewhere) == {"x"}, name
        assert _files(tmp_path / "cwd") == {"a", "a/b", "a/b/c", "a/b/c/d", *(f"a/b/c/d/{f}" for f in written)}
        for file in written:  # the next name may well reduce to the same slug
            (cwd / file).unlink()
