"""A program's name chooses no path: `soapbot export` and `soapbot export-list` (real processes) write
their files in the current directory, named from a slug of the program's name, whatever it is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.console.signing import SlackClientSim
from bot.domain.file_names import file_slug
from tests.adversarial.conftest import AdversarialServed, import_rows
from tests.e2e.conftest import DIRECTOR, MEMBERS, OTHER_CHANNEL, WAR_ROOM
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
    """Defence: bot.domain.file_names.file_slug (letters, digits, dashes) for both exports. Before: after
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


def _export(cwd: Path, database_url: str, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SOAPBOT, *command], cwd=cwd, env=soapbot_env(DATABASE_URL=database_url),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.timeout(240)
def test_an_export_never_writes_through_a_link_nor_over_another_programs_file(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, tmp_path: Path) -> None:
    """Defence: bot.cli_commands.write_new_file (O_EXCL | O_NOFOLLOW; a taken default name gets -2, a taken
    --out is refused). Before: a symbolic link planted with the archive's name made `soapbot export` write
    through it, outside the directory; two programs named "Internal Medicine – Test" and "Internal
    Medicine: Test" shared the archive's name and the second export replaced the first."""
    cwd, outside = tmp_path / "cwd", tmp_path / "outside"
    cwd.mkdir()
    outside.mkdir()
    url = served.settings.database_url
    assert _answer(slack, standin, DIRECTOR, "setup Internal Medicine – Test").startswith("Done")
    before = len(standin.calls_to("response_url"))
    slack.command("setup Internal Medicine: Test", DIRECTOR, OTHER_CHANNEL)
    assert str(standin.wait_for("response_url", count=before + 1)[-1].params.get("text")).startswith("Done")
    assert file_slug("Internal Medicine – Test") == file_slug("Internal Medicine: Test")

    first = _export(cwd, url, "export", "--program", WAR_ROOM)
    assert first.returncode == 0, first.stderr[-2000:]
    archive = next(cwd.iterdir())
    kept = archive.read_bytes()
    second = _export(cwd, url, "export", "--program", OTHER_CHANNEL)
    assert second.returncode == 0, second.stderr[-2000:]
    assert archive.read_bytes() == kept  # the first program's archive is still its own
    assert len(list(cwd.iterdir())) == 2 and "was taken" in second.stdout

    planted = outside / "stolen.zip"
    for file in cwd.iterdir():
        file.unlink()
    (cwd / archive.name).symlink_to(planted)
    third = _export(cwd, url, "export", "--program", WAR_ROOM)
    assert third.returncode == 0, third.stderr[-2000:]
    assert not planted.exists() and list(outside.iterdir()) == []
    assert (cwd / archive.name).is_symlink()
    written = [f for f in cwd.iterdir() if not f.is_symlink()]
    assert len(written) == 1 and written[0].stat().st_mode & 0o077 == 0  # the owner's only

    chosen = _export(cwd, url, "export", "--program", WAR_ROOM, "--out", archive.name)
    assert chosen.returncode == 1 and "already exists" in chosen.stderr
    assert not planted.exists()


@pytest.mark.timeout(240)
def test_out_naming_a_folder_writes_the_default_name_inside_it(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, tmp_path: Path) -> None:
    """Before: `--out some/folder/` raised IsADirectoryError with a traceback."""
    assert _answer(slack, standin, DIRECTOR, "setup Internal Medicine – Test").startswith(("Done", "Renamed"))
    import_rows(served.room.database, [applicant_row(1)])
    _answer(slack, standin, MEMBERS[0], f"vote {aamc_id(1)} high")
    _answer(slack, standin, DIRECTOR, "positions set categorical=1")
    assert "lock" in _answer(slack, standin, DIRECTOR, "list lock 1 confirm").lower()
    folder = tmp_path / "exports"
    folder.mkdir()
    url = served.settings.database_url
    for command, out in ((["export"], str(folder)), (["export-list", "--round", "1"], f"{folder}/")):
        done = _export(tmp_path, url, *command, "--program", WAR_ROOM, "--out", out)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
        assert f"wrote {folder}/" in done.stdout
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 2 and any(n.endswith(".zip") for n in written) and any(n.endswith(".csv") for n in written)
