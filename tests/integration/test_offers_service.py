"""Positions per program code, checked offer records, availability and the projection, on every backend.

Names are synthetic; track values are in the ERAS shape (`Specialty|CODE (Track)`, DOMAIN.md §2).
The program has no stored calendar unless a test adds one, so its rounds are NRMP's four.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.cards import CardViewer
from bot.domain.offers import Availability, NextRound, OfferResult, OfferStatus
from bot.errors import BadInput, Conflict, WarRoomError
from bot.services import offer_card, offers, positions, preference_list, projection, voting
from storage.database import Database
from storage.models import AuditEvent, Candidate, Offer, Position, Program, Reminder, Round

NOW = datetime(2027, 3, 17, 13, 0, tzinfo=UTC)
DIRECTOR = "U0DIRECTOR"
MEMBER = "U0MEMBER01"
CAT, PRE = "1234140C0", "1234140P0"
CAT_TRACK = f"Internal Medicine|{CAT} (Categorical)"
PRE_TRACK = f"Internal Medicine|{PRE} (Preliminary)"


def _program(database: Database) -> int:
    with database.transaction() as session:
        program = Program(name="IM Riverside", team_id="T1", channel_id="G1", timezone="America/New_York",
                          created_by=DIRECTOR)
        session.add(program)
        session.flush()
        return program.id


def _candidates(database: Database, program_id: int, count: int, tracks: list[str], start: int = 1) -> list[str]:
    ids = []
    with database.transaction() as session:
        for n in range(start, start + count):
            aamc = f"{10000000 + n}"
            session.add(Candidate(program_id=program_id, aamc_id=aamc, first_name=f"Ari{n}", last_name=f"Testov{n}",
                                  tracks=tracks))
            ids.append(aamc)
    return ids


def _positions(database: Database, program_id: int, **pairs: str) -> None:
    positions.set_positions(database, program_id=program_id, actor=DIRECTOR, pairs=pairs)


def _order(database: Database, program_id: int, ids: list[str]) -> None:
    """The director's ordering is the whole order (one ballot: the order is exactly this)."""
    voting.set_ranking(database, program_id=program_id, actor=DIRECTOR, aamc_ids=ids)


def _lock(database: Database, program_id: int, round_number: int) -> None:
    preference_list.lock_round(database, program_id=program_id, actor=DIRECTOR, round_number=round_number, now=NOW)


def _record(database: Database, program_id: int, aamc: str, rnd: int, status: str, code: str | None = None,
            now: datetime = NOW) -> OfferResult:
    return offers.record_offer(database, program_id=program_id, actor=MEMBER, candidate_key=aamc, round_number=rnd,
                               status=OfferStatus(status), code=code, now=now)


def _audits(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _offers_stored(database: Database) -> list[tuple[str, int, str, str]]:
    with database.reading() as session:
        return sorted((c.aamc_id, o.round, o.track, o.status) for o, c in session.execute(
            select(Offer, Candidate).join(Candidate, Candidate.id == Offer.candidate_id)))


def _projected(projection: NextRound, code: str = CAT) -> list[str]:
    return [o.aamc_id for c in projection.codes if c.code == code for o in c.offers]


@pytest.fixture
def two_codes(database: Database) -> tuple[int, list[str]]:
    """Six applicants: 1-2 applied to both codes, 3-4 categorical only, 5-6 preliminary only; order 1..6."""
    program_id = _program(database)
    ids = (_candidates(database, program_id, 2, [CAT_TRACK, PRE_TRACK])
           + _candidates(database, program_id, 2, [CAT_TRACK], start=3)
           + _candidates(database, program_id, 2, [PRE_TRACK], start=5))
    _positions(database, program_id, categorical="2", preliminary="1")
    _order(database, program_id, ids)
    return program_id, ids


# --------------------------------------------------------------------------- positions


def test_positions_name_codes_by_label_or_code_and_refuse_a_count_below_the_filled(
        database: Database, two_codes: tuple[int, list[str]]) -> None:
    program_id, ids = two_codes
    status = positions.positions_status(database, program_id)
    assert [(c.code, c.label, c.total, c.filled, c.open) for c in status.codes] == [
        (CAT, "Categorical", 2, 0, 2), (PRE, "Preliminary", 1, 0, 1)]
    _lock(database, program_id, 1)
    _record(database, program_id, ids[0], 1, "accepted", CAT)
    before = _audits(database)
    with pytest.raises(Conflict, match="cannot have fewer than 1 position"):
        _positions(database, program_id, **{CAT.lower(): "0"})
    with pytest.raises(BadInput, match="not one of this program's codes"):
        _positions(database, program_id, transitional="1")
    assert _audits(database) == before
    change = positions.set_positions(database, program_id=program_id, actor=DIRECTOR, pairs={PRE: "2"})
    assert change.after == {CAT: 2, PRE: 2}


def test_a_program_without_codes_keeps_track_names(database: Database) -> None:
    program_id = _program(database)
    _candidates(database, program_id, 2, ["Categorical"])
    change = positions.set_positions(database, program_id=program_id, actor=DIRECTOR,
                                  pairs={"categorical": "3", "Preliminary": "1"})
    assert change.after == {"categorical": 3, "preliminary": 1}
    change = positions.set_positions(database, program_id=program_id, actor=DIRECTOR, pairs={"preliminary": "0"})
    assert change.after == {"categorical": 3}


# --------------------------------------------------------------------------- records are checked


def test_records_are_checked_against_the_calendar_the_locked_list_and_earlier_answers(
        database: Database, two_codes: tuple[int, list[str]]) -> None:
    program_id, ids = two_codes
    with pytest.raises(Conflict, match="not locked"):
        _record(database, program_id, ids[0], 1, "offered", CAT)
    _lock(database, program_id, 1)
    with pytest.raises(Conflict, match="was not on round 1's locked list for 1234140C0"):
        _record(database, program_id, ids[4], 1, "offered", CAT)
    with database.transaction() as session:
        for number, hours in ((1, -1), (2, 23)):
            session.add(Round(program_id=program_id, number=number, deadline_at=NOW + timedelta(hours=hours - 1),
                              offers_at=NOW + timedelta(hours=hours), expires_at=NOW + timedelta(hours=hours + 2)))
    with pytest.raises(Conflict, match="Round 2 has not started"):
        _record(database, program_id, ids[2], 2, "offered", CAT)
    assert _offers_stored(database) == []

    _record(database, program_id, ids[1], 1, "rejected", CAT)
    later = NOW + timedelta(days=1)
    _lock(database, program_id, 2)
    with pytest.raises(Conflict, match="rejected in round 1 on 1234140C0"):
        _record(database, program_id, ids[1], 2, "offered", CAT, now=later)
    warned = _record(database, program_id, ids[1], 2, "offered", PRE, now=later)
    assert warned.warning is not None
    assert "unverified" in warned.warning
    assert _offers_stored(database) == [(ids[1], 1, CAT, "rejected"), (ids[1], 2, PRE, "offered")]


def test_one_code_is_chosen_when_the_applicant_is_on_one_list_and_asked_for_otherwise(
        database: Database, two_codes: tuple[int, list[str]]) -> None:
    program_id, ids = two_codes
    _lock(database, program_id, 1)
    assert _record(database, program_id, ids[2], 1, "offered").code == CAT
    with pytest.raises(BadInput, match="Which code"):
        _record(database, program_id, ids[0], 1, "offered")
    assert _record(database, program_id, ids[0], 1, "offered", "preliminary").code == PRE


def test_clear_removes_a_mistaken_record_and_says_what_it_changed(
        database: Database, two_codes: tuple[int, list[str]]) -> None:
    program_id, ids = two_codes
    _lock(database, program_id, 1)
    before = projection.next_round(database, program_id, NOW)
    _record(database, program_id, ids[2], 1, "accepted", CAT)
    moved = projection.next_round(database, program_id, NOW)
    assert moved.round == 2
    audits = _audits(database)
    cleared = offers.clear_offer(database, program_id=program_id, actor=DIRECTOR, candidate_key=ids[2],
                                 round_number=1, now=NOW)
    assert (cleared.code, cleared.status) == (CAT, OfferStatus.ACCEPTED)
    after = projection.next_round(database, program_id, NOW)
    assert (after.round, _projected(after), _projected(after, PRE)) == (
        before.round, _projected(before), _projected(before, PRE))
    assert dict(cleared.offers_after) == {CAT: tuple(_projected(before)), PRE: tuple(_projected(before, PRE))}
    assert cleared.offers_before != cleared.offers_after
    assert _offers_stored(database) == []
    assert _audits(database) == audits + 1
    with pytest.raises(Conflict, match="nothing to clear"):
        offers.clear_offer(database, program_id=program_id, actor=DIRECTOR, candidate_key=ids[2], round_number=1,
                           now=NOW)


def test_an_applicant_who_accepted_elsewhere_leaves_every_list(
        database: Database, two_codes: tuple[int, list[str]]) -> None:
    program_id, ids = two_codes
    result = offers.set_availability(database, program_id=program_id, actor=MEMBER, candidate_key=ids[0],
                                     availability=Availability.ACCEPTED_ELSEWHERE, now=NOW)
    assert result.changed
    current = preference_list.current_list(database, program_id)
    assert all(ids[0] not in [line.aamc_id for line in x.lines] for x in current.lists)
    assert [line.aamc_id for line, _ in current.gone] == [ids[0]]
    projected = projection.next_round(database, program_id, NOW)
    assert _projected(projected) == [ids[1], ids[2]]
    assert _projected(projected, PRE) == [ids[1]]
    _lock(database, program_id, 1)
    with pytest.raises(Conflict):
        _record(database, program_id, ids[0], 1, "offered", CAT)
    offers.set_availability(database, program_id=program_id, actor=MEMBER, candidate_key=ids[0],
                            availability=Availability.AVAILABLE, now=NOW)
    assert _projected(projection.next_round(database, program_id, NOW, committee=None)) == [ids[1], ids[2]]  # locked


# --------------------------------------------------------------------------- filling positions


def test_filling_the_last_position_cancels_pending_reminders(database: Database) -> None:
    program_id = _program(database)
    a, b = _candidates(database, program_id, 2, [CAT_TRACK])
    _positions(database, program_id, categorical="2")
    _order(database, program_id, [a, b])
    _lock(database, program_id, 1)
    with database.transaction() as session:
        for n, state in enumerate(("pending", "pending", "sent")):
            session.add(Reminder(key=f"r{n}", program_id=program_id, kind="deadline_lead", round=2,
                                 due_at=NOW + timedelta(hours=n + 1), subject_at=NOW + timedelta(hours=5),
                                 state=state))
    first = _record(database, program_id, a, 1, "accepted")
    assert not first.all_filled_now
    second = _record(database, program_id, b, 1, "accepted")
    assert second.all_filled_now
    assert second.reminders_cancelled == 2
    assert [(s.aamc_id, s.round) for s in second.seats] == [(a, 1), (b, 1)]
    with database.reading() as session:
        states = {key: state for key, state in session.execute(select(Reminder.key, Reminder.state))}
        assert states == {"r0": "cancelled", "r1": "cancelled", "r2": "sent"}
    again = _record(database, program_id, b, 1, "accepted")
    assert not again.changed
    assert not again.all_filled_now


def test_two_people_accepting_the_last_position_at_once(database: Database) -> None:
    program_id = _program(database)
    ids = _candidates(database, program_id, 4, [CAT_TRACK])
    _positions(database, program_id, categorical="1")
    _order(database, program_id, ids)
    _lock(database, program_id, 1)
    outcomes: list[str] = []
    barrier = threading.Barrier(len(ids))

    def accept(aamc: str) -> None:
        barrier.wait()
        try:
            _record(database, program_id, aamc, 1, "accepted")
            outcomes.append("ok")
        except WarRoomError:
            outcomes.append("refused")

    threads = [threading.Thread(target=accept, args=(aamc,)) for aamc in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert [s for *_, s in _offers_stored(database)] == ["accepted"]


# --------------------------------------------------------------------------- the projection


def test_round_two_offers_exactly_the_open_positions_and_holds_nothing_for_an_unrecorded_offer(
        database: Database, two_codes: tuple[int, list[str]]) -> None:
    program_id, ids = two_codes
    _lock(database, program_id, 1)
    first = projection.next_round(database, program_id, NOW)
    assert (first.round, first.locked) == (1, True)
    assert _projected(first) == ids[:2]
    assert _projected(first, PRE) == ids[:1]
    _record(database, program_id, ids[0], 1, "offered", CAT)
    _record(database, program_id, ids[1], 1, "offered", CAT)
    _record(database, program_id, ids[0], 1, "offered", PRE)
    _record(database, program_id, ids[0], 1, "accepted", CAT)
    _record(database, program_id, ids[1], 1, "rejected", CAT)
    second = projection.next_round(database, program_id, NOW)
    assert second.round == 2
    assert not second.locked
    cat = next(c for c in second.codes if c.code == CAT)
    assert (cat.total, cat.filled, cat.open) == (2, 1, 1)
    assert _projected(second) == [ids[2]]
    assert _projected(second, PRE) == [ids[1]]  # 1 accepted C; 2 rejected C only; nothing held for 1's P offer
    assert second.assumed_expired == ()  # 1's P offer lapsed with their categorical acceptance: nothing to ask


def test_names_are_escaped_in_the_summary(database: Database) -> None:
    program_id = _program(database)
    with database.transaction() as session:
        session.add(Candidate(program_id=program_id, aamc_id="10000001", first_name="<!channel>",
                              last_name="Ping & Co", tracks=[CAT_TRACK]))
    _positions(database, program_id, categorical="1")
    _order(database, program_id, ["10000001"])
    text = "\n".join(projection.next_offers_summary(database, program_id, NOW))
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text
    assert "Ping &amp; Co" in text


# --------------------------------------------------------------------------- the card section


def test_card_section_buttons_only_when_they_make_sense(database: Database,
                                                        two_codes: tuple[int, list[str]]) -> None:
    program_id, ids = two_codes
    a, c = ids[2], ids[5]
    _order(database, program_id, ids[:5])
    _lock(database, program_id, 1)

    def section(aamc: str) -> tuple[list[str], list[tuple[str, str]]] | None:
        with database.reading() as session:
            candidate = session.scalar(select(Candidate).where(Candidate.aamc_id == aamc))
            assert candidate is not None
            result = offer_card.offers_card_section(session, candidate, CardViewer())
            if result is None:
                return None
            return list(result.lines), [(btn.action_id, btn.value) for btn in result.buttons]

    assert section(c) is None  # on no locked list, no offer: nothing to show
    lines, buttons = section(a) or ([], [])
    assert [json.loads(value) for _, value in buttons] == [
        {"aamc_id": a, "round_number": 1, "status": "offered", "code": CAT}]
    _record(database, program_id, a, 1, "offered")
    lines, buttons = section(a) or ([], [])
    assert "offered, no answer yet" in lines[0]
    assert [action for action, _ in buttons] == ["offer.outcome.accepted", "offer.outcome.rejected",
                                                 "offer.outcome.expired"]
    _record(database, program_id, a, 1, "accepted")
    lines, buttons = section(a) or ([], [])
    assert "accepted" in lines[0]
    assert buttons == []
    offers.set_availability(database, program_id=program_id, actor=MEMBER, candidate_key=ids[0],
                            availability=Availability.WITHDRAWN, now=NOW)
    lines, buttons = section(ids[0]) or ([], [])
    assert "withdrew from SOAP" in lines[0]
    assert buttons == []


def test_positions_set_by_label_before_the_export_count_for_its_code(database: Database) -> None:
    program_id = _program(database)
    _positions(database, program_id, categorical="2", preliminary="1")  # at setup: no applicant, no code yet
    ids = (_candidates(database, program_id, 2, [CAT_TRACK, PRE_TRACK])
           + _candidates(database, program_id, 1, [PRE_TRACK], start=3))
    _order(database, program_id, ids)
    status = positions.positions_status(database, program_id)
    assert [(c.code, c.label, c.total) for c in status.codes] == [(CAT, "Categorical", 2), (PRE, "Preliminary", 1)]
    projected = projection.next_round(database, program_id, NOW)
    assert _projected(projected) == ids[:2]
    assert _projected(projected, PRE) == ids[:1]
    _positions(database, program_id, preliminary="2")
    with database.reading() as session:
        assert {t: n for t, n in session.execute(select(Position.track, Position.total))} == {CAT: 2, PRE: 2}
