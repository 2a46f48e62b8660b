"""Positions, offer outcomes and the next-round projection through the service, on every backend.

Names are synthetic. The program has no stored calendar here, so its rounds are NRMP's four.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.cards import CardViewer
from bot.domain.offers import OfferStatus
from bot.domain.preference_list import Vote
from bot.errors import BadInput, Conflict, WarRoomError
from bot.services import offers, preference_list, voting
from storage.database import Database
from storage.models import AuditEvent, Candidate, Offer, Position, Program, Reminder, Round

NOW = datetime(2027, 3, 17, 13, 0, tzinfo=UTC)
DIRECTOR = "U0DIRECTOR"
MEMBER = "U0MEMBER01"


def _program(database: Database, *, tracks: dict[str, int] | None = None) -> int:
    with database.transaction() as session:
        program = Program(name="IM Riverside", team_id="T1", channel_id="G1", timezone="America/New_York",
                          created_by=DIRECTOR)
        session.add(program)
        session.flush()
        for track, total in (tracks or {}).items():
            session.add(Position(program_id=program.id, track=track, total=total))
        return program.id


def _candidates(database: Database, program_id: int, count: int, tracks: list[str] | None = None,
                start: int = 1) -> list[str]:
    ids = []
    with database.transaction() as session:
        for n in range(start, start + count):
            aamc = f"{10000000 + n}"
            session.add(Candidate(program_id=program_id, aamc_id=aamc, first_name=f"Ari{n}", last_name=f"Testov{n}",
                                  tracks=tracks if tracks is not None else ["Categorical"]))
            ids.append(aamc)
    return ids


def _order(database: Database, program_id: int, ids: list[str]) -> None:
    """The director's ordering is the whole list (one ballot: the list is exactly this order)."""
    voting.set_ranking(database, program_id=program_id, actor=DIRECTOR, aamc_ids=ids)


def _lock(database: Database, program_id: int, round_number: int) -> None:
    preference_list.lock_round(database, program_id=program_id, actor=DIRECTOR, round_number=round_number, now=NOW)


def _record(database: Database, program_id: int, aamc: str, rnd: int, status: str,
            track: str | None = None) -> offers.OfferResult:
    return offers.record_offer(database, program_id=program_id, actor=MEMBER, candidate_key=aamc, round_number=rnd,
                               status=OfferStatus(status), track=track, now=NOW)


def _audits(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _offers_stored(database: Database) -> list[tuple[str, int, str, str]]:
    with database.reading() as session:
        return sorted((c.aamc_id, o.round, o.track, o.status) for o, c in session.execute(
            select(Offer, Candidate).join(Candidate, Candidate.id == Offer.candidate_id)))


def _projected(projection: offers.NextRound, track: str = "categorical") -> list[str]:
    return [o.aamc_id for t in projection.tracks if t.track == track for o in t.offers]


# --------------------------------------------------------------------------- positions


def test_positions_set_show_and_refuse_a_count_below_the_filled(database: Database) -> None:
    program_id = _program(database)
    ids = _candidates(database, program_id, 3)
    change = offers.set_positions(database, program_id=program_id, actor=DIRECTOR,
                                  pairs={"categorical": "3", "Preliminary": "2"})
    assert change.after == {"categorical": 3, "preliminary": 2}
    assert change.before == {}
    _record(database, program_id, ids[0], 1, "accepted")
    _record(database, program_id, ids[1], 1, "accepted")
    status = {t.track: (t.total, t.filled, t.open) for t in offers.positions_status(database, program_id).tracks}
    assert status == {"categorical": (3, 2, 1), "preliminary": (2, 0, 2)}

    before = _audits(database)
    with pytest.raises(Conflict, match="cannot have fewer than 2 positions"):
        offers.set_positions(database, program_id=program_id, actor=DIRECTOR, pairs={"categorical": "1"})
    with pytest.raises(BadInput, match="whole number"):
        offers.set_positions(database, program_id=program_id, actor=DIRECTOR, pairs={"categorical": "two"})
    assert _audits(database) == before
    assert {t.track: t.total for t in offers.positions_status(database, program_id).tracks} == {
        "categorical": 3, "preliminary": 2}

    # A new track is allowed; an unused track set to 0 goes away (a typo can be undone).
    change = offers.set_positions(database, program_id=program_id, actor=DIRECTOR,
                                  pairs={"categorcal": "1", "primary care": "1"})
    assert "categorcal" in change.after
    assert "primary care" in change.after
    change = offers.set_positions(database, program_id=program_id, actor=DIRECTOR, pairs={"categorcal": "0"})
    assert "categorcal" not in change.after
    with database.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "positions.set")
                                .order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert event.before
        assert event.after
        assert event.before["positions"]["categorcal"] == 1
        assert "categorcal" not in event.after["positions"]


# --------------------------------------------------------------------------- recording outcomes


def test_track_defaults_and_ambiguity(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 2, "preliminary": 2})
    cat = _candidates(database, program_id, 1, ["Internal Medicine - Categorical"])[0]
    prelim = _candidates(database, program_id, 1, ["Preliminary", "Categorical"], start=2)[0]
    neither = _candidates(database, program_id, 1, ["Transitional Year"], start=3)[0]

    assert _record(database, program_id, cat, 1, "offered").track == "categorical"
    assert _record(database, program_id, prelim, 1, "offered").track == "preliminary"
    # The answer to an offer already recorded in that round needs no track.
    assert _record(database, program_id, prelim, 1, "accepted").track == "preliminary"
    with pytest.raises(BadInput, match="Which track"):
        _record(database, program_id, neither, 1, "offered")
    with pytest.raises(BadInput, match="no track `advanced`"):
        _record(database, program_id, neither, 1, "offered", track="advanced")
    assert _record(database, program_id, neither, 1, "offered", track="Categorical").track == "categorical"


def test_domain_rules_refuse_and_store_nothing(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 2, "preliminary": 1})
    a, b, c, d = _candidates(database, program_id, 4)
    _record(database, program_id, a, 1, "rejected")
    _record(database, program_id, b, 1, "accepted")
    stored, audits = _offers_stored(database), _audits(database)

    with pytest.raises(Conflict, match=r"rejected an offer.*round 1"):
        _record(database, program_id, a, 2, "offered")
    with pytest.raises(Conflict, match="accepted an offer"):
        _record(database, program_id, b, 2, "offered", track="preliminary")
    # Round 1 offered both categorical positions already (a rejected, b accepted).
    with pytest.raises(Conflict, match="at most 2 categorical positions"):
        _record(database, program_id, c, 1, "offered")
    with pytest.raises(BadInput, match="no round 7"):
        _record(database, program_id, c, 7, "offered")
    assert _offers_stored(database) == stored
    assert _audits(database) == audits

    _record(database, program_id, c, 2, "accepted")  # the one open categorical position of round 2
    with pytest.raises(Conflict, match="Every categorical position is already filled"):
        _record(database, program_id, d, 2, "accepted")
    # Several offers in one round are fine, but one acceptance only.
    _record(database, program_id, d, 2, "offered", track="preliminary")
    with pytest.raises(Conflict, match="already accepted"):
        _record(database, program_id, c, 2, "accepted", track="preliminary")

    # A correction is audited with before and after.
    result = _record(database, program_id, c, 2, "rejected")
    assert result.before is OfferStatus.ACCEPTED
    assert result.track_status.filled == 1
    with database.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "offer.record")
                                .order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert event.target == f"candidate:{c}"
        assert event.before == {"round": 2, "track": "categorical", "status": "accepted"}
        assert event.after == {"round": 2, "track": "categorical", "status": "rejected"}


def test_no_positions_means_no_offer(database: Database) -> None:
    program_id = _program(database)
    aamc = _candidates(database, program_id, 1)[0]
    with pytest.raises(Conflict, match="No positions are set"):
        _record(database, program_id, aamc, 1, "offered")
    assert offers.next_offers_summary(database, program_id, NOW) == []


def test_filling_the_last_position_cancels_pending_reminders(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 2})
    a, b = _candidates(database, program_id, 2)
    with database.transaction() as session:
        for n, state in enumerate(("pending", "pending", "sent")):
            session.add(Reminder(key=f"r{n}", program_id=program_id, kind="deadline_lead", round=2,
                                 due_at=NOW + timedelta(hours=n + 1), subject_at=NOW + timedelta(hours=5),
                                 state=state))
    first = _record(database, program_id, a, 1, "accepted")
    assert not first.all_filled_now
    assert first.reminders_cancelled == 0
    second = _record(database, program_id, b, 1, "accepted")
    assert second.all_filled_now
    assert second.reminders_cancelled == 2
    assert [(s.aamc_id, s.round) for s in second.seats] == [(a, 1), (b, 1)]
    with database.reading() as session:
        states = {key: state for key, state in session.execute(select(Reminder.key, Reminder.state))}
        assert states == {"r0": "cancelled", "r1": "cancelled", "r2": "sent"}
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "reminders.cancel")) == 1
    # Recording again what is already stored changes nothing and fills nothing "now".
    again = _record(database, program_id, b, 1, "accepted")
    assert not again.changed
    assert not again.all_filled_now


def test_two_people_accepting_the_last_position_at_once(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 1})
    ids = _candidates(database, program_id, 4)
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


def test_projection_skips_declined_and_counts_earlier_fills(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 4})
    ids = _candidates(database, program_id, 8)
    _order(database, program_id, ids)
    _lock(database, program_id, 1)
    first = offers.next_round(database, program_id, NOW)
    assert first.round == 1
    assert first.locked
    assert _projected(first) == ids[:4]

    _record(database, program_id, ids[0], 1, "accepted")
    _record(database, program_id, ids[1], 1, "rejected")
    _record(database, program_id, ids[2], 1, "accepted")
    _record(database, program_id, ids[3], 1, "expired")
    _lock(database, program_id, 2)
    second = offers.next_round(database, program_id, NOW)
    assert second.round == 2
    assert second.locked
    track = second.tracks[0]
    assert (track.total, track.filled, track.open) == (4, 2, 2)
    assert _projected(second) == ids[4:6]  # declined and expired are skipped, accepted hold their seats
    assert second.ineligible == 4


def test_projection_follows_a_list_changed_between_rounds(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 3})
    ids = _candidates(database, program_id, 6)
    _order(database, program_id, ids)
    _lock(database, program_id, 1)
    _record(database, program_id, ids[0], 1, "accepted")
    _record(database, program_id, ids[1], 1, "rejected")
    _record(database, program_id, ids[2], 1, "offered")  # unanswered when round 2 is projected: holds a seat
    # Between the rounds the committee reorders: the last one first, the first left off.
    _order(database, program_id, [ids[5], ids[1], ids[4], ids[3]])
    _lock(database, program_id, 2)
    second = offers.next_round(database, program_id, NOW)
    assert second.tracks[0].outstanding == 1
    assert second.tracks[0].open == 1
    assert _projected(second) == [ids[5]]
    # Round 3 from round 2's order (not locked): the unanswered round-1 offer is over, counted as expired.
    third = offers.next_round(database, program_id, NOW, round_number=3)
    assert not third.locked
    assert [(o.aamc_id, o.round) for o in third.assumed_expired] == [(ids[2], 1)]
    assert _projected(third) == [ids[5], ids[4]]


def test_more_positions_than_listed_applicants(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 5, "preliminary": 2})
    cat = _candidates(database, program_id, 2)
    prelim = _candidates(database, program_id, 1, ["Preliminary"], start=3)
    _order(database, program_id, [*cat, *prelim])
    _lock(database, program_id, 1)
    projection = offers.next_round(database, program_id, NOW)
    by_track = {t.track: t for t in projection.tracks}
    assert [o.aamc_id for o in by_track["categorical"].offers] == cat
    assert by_track["categorical"].unfilled_after == 3
    assert [o.aamc_id for o in by_track["preliminary"].offers] == prelim
    assert by_track["preliminary"].unfilled_after == 1


def test_not_locked_uses_the_current_order_and_says_so(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 1})
    ids = _candidates(database, program_id, 3)
    for aamc, vote in zip(ids, (Vote.IF_NEEDED, Vote.RANK_HIGH, Vote.RANK), strict=True):
        voting.cast_vote(database, program_id=program_id, actor=MEMBER, aamc_id=aamc, vote=vote, now=NOW)
    projection = offers.next_round(database, program_id, NOW)
    assert not projection.locked
    assert _projected(projection) == [ids[1]]
    lines = offers.next_offers_summary(database, program_id, NOW)
    assert "not locked" in lines[0]
    assert any("Testov2, Ari2" in line and ids[1] in line for line in lines)


def test_the_next_round_follows_the_calendar_and_the_outcomes(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 2})
    ids = _candidates(database, program_id, 4)
    with database.transaction() as session:
        for n in range(1, 5):
            offers_at = NOW + timedelta(days=1, hours=3 * n)
            session.add(Round(program_id=program_id, number=n, deadline_at=offers_at - timedelta(minutes=5),
                              offers_at=offers_at, expires_at=offers_at + timedelta(hours=2)))
    _order(database, program_id, ids)
    assert offers.next_round(database, program_id, NOW).round == 1
    after_round_two = NOW + timedelta(days=1, hours=6, minutes=1)
    assert offers.next_round(database, program_id, after_round_two).round == 3
    _record(database, program_id, ids[0], 3, "accepted")  # outcomes move it on even if the clock lags
    assert offers.next_round(database, program_id, NOW).round == 4
    with pytest.raises(offers.NothingToProject, match="no next round"):
        offers.next_round(database, program_id, NOW + timedelta(days=3))
    assert offers.next_offers_summary(database, program_id, NOW + timedelta(days=3)) == []


def test_names_are_escaped_in_the_summary(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 1})
    with database.transaction() as session:
        session.add(Candidate(program_id=program_id, aamc_id="10000001", first_name="<!channel>",
                              last_name="Ping & Co", tracks=["Categorical"]))
    _order(database, program_id, ["10000001"])
    text = "\n".join(offers.next_offers_summary(database, program_id, NOW))
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text
    assert "Ping &amp; Co" in text


# --------------------------------------------------------------------------- the card section


def test_card_section_buttons_only_when_they_make_sense(database: Database) -> None:
    program_id = _program(database, tracks={"categorical": 2})
    a, b, c = _candidates(database, program_id, 3)
    _order(database, program_id, [a, b])
    _lock(database, program_id, 1)

    def section(aamc: str) -> tuple[list[str], list[tuple[str, str]]] | None:
        with database.reading() as session:
            candidate = session.scalar(select(Candidate).where(Candidate.aamc_id == aamc))
            assert candidate is not None
            result = offers.offers_card_section(session, candidate, CardViewer())
            if result is None:
                return None
            return list(result.lines), [(btn.action_id, btn.value) for btn in result.buttons]

    assert section(c) is None  # not on the locked list, no offer: nothing to show
    lines, buttons = section(a) or ([], [])
    assert buttons == [("offer.outcome.offered", f"{a}|1|offered|categorical")]
    _record(database, program_id, a, 1, "offered")
    lines, buttons = section(a) or ([], [])
    assert "offered, no answer yet" in lines[0]
    assert [action for action, _ in buttons] == ["offer.outcome.accepted", "offer.outcome.rejected",
                                                 "offer.outcome.expired"]
    assert buttons[0][1] == f"{a}|1|accepted|categorical"
    _record(database, program_id, a, 1, "accepted")
    lines, buttons = section(a) or ([], [])
    assert "accepted" in lines[0]
    assert buttons == []
