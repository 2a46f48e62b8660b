"""One list per NRMP program code, offers as R3 makes them, and records that are checked and correctable,
as the committee uses them: signed requests to the served app, the Web API stand-in, both databases.

The applicants are synthetic and come in through an ERAS export whose track values are in the PDWS
shape (`Specialty|CODE (Track)`, repeated columns; `../shared/DOMAIN.md` §2, §4). The fake clock
starts Wed 17 Mar 2027 09:00 EDT; the default calendar puts round 1's offers at Thu 09:00 EDT and
round 2's at 12:00 (DOMAIN.md §1).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main as soapbot
from bot.console.signing import SlackClientSim
from bot.services.candidate_import import import_export
from storage.models import AuditEvent, Candidate, Offer, Position, Program
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.factories import applicant_row, eras_csv, img_row
from tests.harness.slack_api import SlackStandIn

M1, M2 = MEMBERS[0], MEMBERS[1]
CAT, PRE = "1234140C0", "1234140P0"
CAT_TRACK, PRE_TRACK = f"Internal Medicine|{CAT} (Categorical)", f"Internal Medicine|{PRE} (Preliminary)"
# AAMC ID -> (first, last, tracks); the committee's order is this order.
APPLICANTS = {
    "61000001": ("Ada", "Bothways", [CAT_TRACK, PRE_TRACK]),
    "61000002": ("Bo", "Catonly", [CAT_TRACK]),
    "61000003": ("Cy", "Twotracks", [PRE_TRACK, CAT_TRACK]),
    "61000004": ("Di", "Prelimonly", [PRE_TRACK]),
    "61000005": ("Ed", "Catlate", [CAT_TRACK]),
    "61000006": ("Fay", "Visaneed", [PRE_TRACK]),
}
IDS = list(APPLICANTS)
BOTH, CAT2, BOTH3, PRE4, CAT5, PRE6 = IDS


@pytest.fixture
def coded(served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> str:
    """An ERAS export of six applicants on two codes (two applied to both; the last needs an H-1B the
    default policy does not sponsor, so triage puts them in do-not-rank); positions categorical=2
    preliminary=1; three members put them in the same order."""
    rows = []
    for n, (aamc, (first, last, tracks)) in enumerate(APPLICANTS.items(), start=1):
        names = {"AAMC ID": aamc, "First Name": first, "Last Name": last}
        rows.append(img_row(n, "H-1B", tracks=tracks, **names) if aamc == PRE6
                    else applicant_row(n, tracks=tracks, **names))
    with served.room.database.reading() as session:
        program_id = session.scalars(select(Program.id).where(Program.channel_id == war_room)).one()
    imported = import_export(served.room.database, program_id, eras_csv(rows), actor=DIRECTOR,
                             today=date(2027, 3, 16), filename="export.csv")
    assert imported.problem is None
    with served.room.database.reading() as session:
        assert session.scalar(select(Candidate.tracks).where(Candidate.aamc_id == BOTH)) == [CAT_TRACK, PRE_TRACK]
        assert session.scalar(select(Candidate.bucket).where(Candidate.aamc_id == PRE6)) == "do not rank"
    answer = command(slack, standin, DIRECTOR, war_room, "positions set categorical=2 preliminary=1")
    assert "Saved" in answer["text"]
    for user in (DIRECTOR, M1, M2):
        command(slack, standin, user, war_room, "rank " + " ".join(IDS))
    return war_room


def command(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> dict:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    answer = standin.wait_for("response_url", count=before + 1)[-1].params
    assert answer["response_type"] == "ephemeral"
    return answer


def text_of(answer: dict) -> str:
    return "\n".join([answer["text"], *(json.dumps(b) for b in answer.get("blocks") or [])])


def stored(served: Served) -> list[tuple[str, int, str, str]]:
    with served.room.database.reading() as session:
        return sorted((c.aamc_id, o.round, o.track, o.status) for o, c in session.execute(
            select(Offer, Candidate).join(Candidate, Candidate.id == Offer.candidate_id)))


def offered_to(answer_text: str, code: str) -> list[str]:
    """AAMC IDs `/soap next` names for one code, in order."""
    lines = answer_text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(f"*{code}"))
    found = []
    for line in lines[start + 1:]:
        if not re.match(r"^\d+\. ", line):
            break
        found += [aamc for aamc in IDS if f"({aamc})" in line]
    return found


def posted_card(standin: SlackStandIn, needle: str) -> dict:
    """The first chat.postMessage with blocks whose text holds `needle`, waiting for it (posts follow answers)."""
    for count in range(1, 80):
        for call in standin.wait_for("chat.postMessage", count=count):
            if needle in str(call.params.get("text")) and call.params.get("blocks"):
                return call.params
    raise AssertionError(f"no post with {needle!r}")


def round_one(slack: SlackClientSim, standin: SlackStandIn, served: Served, room: str) -> None:
    """Round 1 as it went: lock and certify, offers out at 09:00, BOTH accepts categorical, CAT2 rejects it, and
    BOTH's preliminary offer is never answered in the bot."""
    command(slack, standin, DIRECTOR, room, "list lock 1 confirm")
    assert "certified" in command(slack, standin, DIRECTOR, room, "list certified 1")["text"]
    served.clock.advance(days=1, minutes=5)  # Thu 09:05 EDT: round 1's offers are out
    for aamc, code in ((BOTH, "categorical"), (CAT2, "categorical"), (BOTH, "preliminary")):
        assert "Recorded" in command(slack, standin, M1, room, f"offer {aamc} 1 offered {code}")["text"]
    assert "Recorded" in command(slack, standin, M1, room, f"offer {BOTH} 1 accepted categorical")["text"]
    assert "Recorded" in command(slack, standin, M1, room, f"offer {CAT2} 1 rejected")["text"]


def test_two_codes_give_two_lists_two_csvs_and_the_same_bytes_from_the_cli(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, coded: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    shown = command(slack, standin, M1, coded, "positions")["text"]
    assert f"*{CAT} Categorical*: 2 positions · 0 filled · 2 open" in shown
    assert f"*{PRE} Preliminary*: 1 position · 0 filled · 1 open" in shown
    with served.room.database.reading() as session:
        assert {t: n for t, n in session.execute(select(Position.track, Position.total))} == {CAT: 2, PRE: 1}

    listing = text_of(command(slack, standin, M2, coded, "list"))
    cat_part, pre_part = listing.split(f"{PRE} Preliminary*")[0], listing.split(f"{PRE} Preliminary*")[1]
    assert f"*1.* Bothways, Ada ({BOTH})" in cat_part
    assert f"*2.* Catonly, Bo ({CAT2})" in cat_part
    assert f"*3.* Twotracks, Cy ({BOTH3})" in cat_part
    assert f"*4.* Catlate, Ed ({CAT5})" in cat_part
    assert PRE4 not in cat_part
    assert f"*1.* Bothways, Ada ({BOTH})" in pre_part
    assert f"*2.* Twotracks, Cy ({BOTH3})" in pre_part
    assert f"*3.* Prelimonly, Di ({PRE4})" in pre_part
    assert f"*4.* Visaneed, Fay ({PRE6})" in pre_part
    assert "do-not-rank bucket: needs H-1B" in pre_part  # the do-not-rank name on a list is marked, with why
    assert "an offer if R3 reaches them" in pre_part
    one = text_of(command(slack, standin, M2, coded, "list preliminary"))
    assert f"*1.* Bothways, Ada ({BOTH})" in one
    assert CAT2 not in one

    standin.reset()
    locked = command(slack, standin, DIRECTOR, coded, "list lock 1 confirm")["text"]
    assert f"{CAT} Categorical: 4 candidates" in locked
    assert f"{PRE} Preliminary: 4 candidates" in locked
    assert "1 name marked as binding" in locked
    posts = [c.params for c in standin.wait_for("chat.postMessage", count=2)]
    assert any("an offer if R3 reaches them" in json.dumps(p["blocks"]) for p in posts if PRE in p["text"])
    uploads = {u.filename: u for u in standin.uploads if u.completed}
    assert sorted(uploads) == [f"internal-medicine-{CAT}-round-1.csv", f"internal-medicine-{PRE}-round-1.csv"]
    cat_rows = list(csv.reader(io.StringIO(uploads[f"internal-medicine-{CAT}-round-1.csv"].text)))
    pre_rows = list(csv.reader(io.StringIO(uploads[f"internal-medicine-{PRE}-round-1.csv"].text)))
    assert [r[:2] for r in cat_rows[1:]] == [["1", BOTH], ["2", CAT2], ["3", BOTH3], ["4", CAT5]]
    assert [r[:2] for r in pre_rows[1:]] == [["1", BOTH], ["2", BOTH3], ["3", PRE4], ["4", PRE6]]
    assert {r[3] for r in cat_rows[1:]} == {f"{CAT} Categorical"}

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", served.settings.database_url)
    for code in (CAT, "preliminary"):
        assert soapbot(["export-list", "--program", coded, "--round", "1", "--code", code]) == 0
    for name, upload in uploads.items():
        assert (tmp_path / name).read_bytes() == upload.content
    assert soapbot(["export-list", "--program", coded, "--round", "1", "--out", "x.csv"]) == 1  # which code?
    assert not (tmp_path / "x.csv").exists()


def test_round_two_offers_exactly_the_open_positions_and_nothing_is_held_for_an_unrecorded_offer(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, coded: str) -> None:
    before = command(slack, standin, M1, coded, "next")["text"]
    assert "Round 1" in before
    assert offered_to(before, CAT) == [BOTH, CAT2]
    assert offered_to(before, PRE) == [BOTH]
    assert "not locked yet" in before

    round_one(slack, standin, served, coded)
    command(slack, standin, DIRECTOR, coded, "list lock 2 confirm")
    after = command(slack, standin, M2, coded, "next")["text"]
    assert "Round 2" in after
    assert f"*{CAT} Categorical*: 1 open (1 of 2 filled)" in after
    assert f"*{PRE} Preliminary*: 1 open (0 of 1 filled)" in after  # nothing held for the unanswered offer
    assert offered_to(after, CAT) == [BOTH3]  # BOTH accepted, CAT2 rejected this code
    assert offered_to(after, PRE) == [BOTH3]  # BOTH accepted categorical: off every list
    assert "counted as expired" not in after  # BOTH's preliminary offer lapsed with their acceptance
    assert "not locked yet" not in after


def test_records_are_refused_with_the_reason_and_clear_undoes_a_mistake(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, coded: str) -> None:
    command(slack, standin, DIRECTOR, coded, "list lock 1 confirm")
    command(slack, standin, DIRECTOR, coded, "list certified 1")
    served.clock.advance(days=1, minutes=5)
    not_listed = command(slack, standin, M1, coded, f"offer {PRE4} 1 offered categorical")["text"]
    assert f"was not on round 1's locked list for {CAT}" in not_listed
    too_early = command(slack, standin, M1, coded, f"offer {BOTH3} 2 offered categorical")["text"]
    assert "Round 2 has not started" in too_early
    assert stored(served) == []

    command(slack, standin, M1, coded, f"offer {BOTH} 1 accepted categorical")
    right = command(slack, standin, M1, coded, "next")["text"]
    # R3 offered round 1 to the top two of the certified list; Bo's offer is open until 11:00 with no
    # answer yet: if Bo accepts, both positions are filled; if not, this code offers Bo nothing more
    # (DOMAIN.md §2) and round 2 goes on down the list.
    assert "If they are accepted: nobody." in right
    assert f"({BOTH3})" in right.split("If not: ")[1].splitlines()[0]
    assert "Still open until Thu 18 Mar 11:00 EDT" in right and CAT2 in right.split("Still open")[1]
    # The mistake: an acceptance typed against the wrong applicant fills the last categorical position.
    command(slack, standin, M1, coded, f"offer {CAT2} 1 accepted categorical")
    wrong = command(slack, standin, M1, coded, "next")["text"]
    assert offered_to(wrong, CAT) == []
    refused = command(slack, standin, M1, coded, f"offer {CAT2} 1 clear")["text"]
    assert "Only a program director" in refused
    cleared = command(slack, standin, DIRECTOR, coded, f"offer {CAT2} 1 clear")["text"]
    assert f"Cleared the round-1 {CAT} record of Catonly, Bo ({CAT2})" in cleared
    assert "The projection changed" in cleared
    assert command(slack, standin, M1, coded, "next")["text"] == right
    assert stored(served) == [(BOTH, 1, CAT, "accepted")]
    with served.room.database.reading() as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "offer.clear")).one()
    assert (audit.actor, audit.before) == (DIRECTOR, {"round": 1, "code": CAT, "status": "accepted",
                                                      "recorded_by": M1})


def test_re_offers_and_availability(served: Served, slack: SlackClientSim, standin: SlackStandIn, coded: str) -> None:
    round_one(slack, standin, served, coded)
    command(slack, standin, DIRECTOR, coded, "list lock 2 confirm")
    served.clock.advance(hours=3)  # Thu 12:05 EDT: round 2's offers are out
    same = command(slack, standin, M1, coded, f"offer {CAT2} 2 offered categorical")["text"]
    assert "rejected in round 1" in same
    assert "Nothing was changed" in same

    gone = command(slack, standin, M1, coded, f"status {BOTH3} accepted-elsewhere")["text"]
    assert "accepted a position elsewhere" in gone
    listing = text_of(command(slack, standin, M1, coded, "list"))
    assert "Off every list" in listing
    projection = command(slack, standin, M1, coded, "next 3")["text"]
    assert offered_to(projection, CAT) == [CAT5]
    assert offered_to(projection, PRE) == [PRE4]
    refused = command(slack, standin, M1, coded, f"offer {BOTH3} 2 offered categorical")["text"]
    assert "accepted-elsewhere" in refused
    slack.command(f"candidate {BOTH3}", M1, coded)
    card = posted_card(standin, BOTH3)
    assert "accepted a position elsewhere" in json.dumps(card["blocks"])
    command(slack, standin, M1, coded, f"status {BOTH3} available")
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "candidate.availability")) == 2


def test_pins_and_exclusions_name_a_code(served: Served, slack: SlackClientSim, standin: SlackStandIn,
                                         coded: str) -> None:
    def code_list(code: str) -> list[str]:
        answer = text_of(command(slack, standin, M1, coded, f"list {code}"))
        part = answer.split(f"*{code}")[1].split("Page 1")[0]
        return sorted((a for a in IDS if f"({a})" in part), key=lambda a: part.find(f"({a})"))

    assert "Only a program director" in command(slack, standin, M1, coded, f"pin {PRE4} preliminary")["text"]
    pinned = command(slack, standin, DIRECTOR, coded, f"pin {PRE4} preliminary")["text"]
    assert f"Prelimonly, Di ({PRE4}) is pinned first on {PRE} Preliminary" in pinned
    assert code_list(PRE) == [PRE4, BOTH, BOTH3, PRE6]
    assert code_list(CAT) == [BOTH, CAT2, BOTH3, CAT5]
    refused = command(slack, standin, DIRECTOR, coded, f"pin {CAT2} preliminary")["text"]
    assert "did not apply to" in refused

    left = command(slack, standin, DIRECTOR, coded, f"exclude {BOTH} categorical")["text"]
    assert f"is left off {CAT} Categorical" in left
    assert code_list(CAT) == [CAT2, BOTH3, CAT5]
    assert code_list(PRE) == [PRE4, BOTH, BOTH3, PRE6]
    assert "Left off this list by a director: Bothways, Ada" in text_of(command(slack, standin, M1, coded,
                                                                                "list categorical"))
    standin.reset()
    command(slack, standin, DIRECTOR, coded, "list lock 1 confirm")
    served.idle()
    uploads = {u.filename: u for u in standin.uploads if u.completed}
    pre_rows = list(csv.reader(io.StringIO(uploads[f"internal-medicine-{PRE}-round-1.csv"].text)))
    cat_rows = list(csv.reader(io.StringIO(uploads[f"internal-medicine-{CAT}-round-1.csv"].text)))
    assert [r[:2] for r in pre_rows[1:]] == [["1", PRE4], ["2", BOTH], ["3", BOTH3], ["4", PRE6]]
    assert [r[:2] for r in cat_rows[1:]] == [["1", CAT2], ["2", BOTH3], ["3", CAT5]]
    command(slack, standin, DIRECTOR, coded, f"include {BOTH} categorical")
    command(slack, standin, DIRECTOR, coded, f"unpin {PRE4} preliminary")
    assert code_list(CAT) == [BOTH, CAT2, BOTH3, CAT5]
    assert code_list(PRE) == [BOTH, BOTH3, PRE4, PRE6]
    with served.room.database.reading() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("list.%"))
                                       .order_by(AuditEvent.id)))
    assert actions[:2] == ["list.pin", "list.exclude"]
    assert actions[-2:] == ["list.release", "list.release"]


def test_next_during_round_one_does_not_say_its_offers_have_expired(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, coded: str) -> None:
    command(slack, standin, DIRECTOR, coded, "list lock 1 confirm")
    served.clock.advance(days=1, minutes=5)  # 09:05 on Thursday: round 1's offers are out until 11:00
    text = command(slack, standin, M1, coded, "next")["text"] + json.dumps(
        standin.calls_to("response_url")[-1].params.get("blocks"))
    assert "Round 2" in text
    assert "has expired" not in text
    assert "Offers of earlier rounds expire before round 2's go out" in text
