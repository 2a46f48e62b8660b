"""Votes, orderings, pins, the current list, locks and the CSV, on every backend (incl. concurrency)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.cards import CardViewer
from bot.domain.preference_list import Vote
from bot.errors import BadInput, CandidateNotFound, Conflict
from bot.services import preference_list, voting
from storage.database import Database
from storage.models import AuditEvent, Candidate, CommitteeRole, ListSnapshot, Program, Ranking
from storage.models import Vote as VoteRow

DIRECTOR = "U0DIRECTOR"
M1, M2, M3, M4 = "U0MEMBER01", "U0MEMBER02", "U0MEMBER03", "U0MEMBER04"
COMMITTEE = {DIRECTOR, M1, M2, M3, M4}
NOW = datetime(2027, 3, 17, 15, 0, tzinfo=UTC)
A, B, C, D, E, F, G = (f"1000000{n}" for n in range(1, 8))
PEOPLE = {  # synthetic applicants: AAMC ID -> (first, last, bucket, tracks)
    A: ("Avery", "Testperson", "interviewed", ["Internal Medicine|Categorical"]),
    B: ("Blake", "Sampleton", "strong paper", []),
    C: ("Casey", "Fictional", "backup", ["Preliminary"]),
    D: ("Dana", "Madeup", "strong paper", []),
    E: ("Emery", "Placeholder", "do not rank", []),
    F: ("Finley", "Nobody", "backup", []),
    G: ("Gray", "Homestudent", "internal", []),
}


@pytest.fixture
def program(database: Database) -> int:
    with database.transaction() as session:
        row = Program(name="Internal Medicine – Test", team_id="T1", channel_id="G0WARROOM1",
                      timezone="America/New_York", created_by=DIRECTOR)
        session.add(row)
        session.flush()
        session.add(CommitteeRole(program_id=row.id, user_id=DIRECTOR, role="director", granted_by=DIRECTOR))
        for aamc, (first, last, bucket, tracks) in PEOPLE.items():
            session.add(Candidate(program_id=row.id, aamc_id=aamc, first_name=first, last_name=last, bucket=bucket,
                                  tracks=tracks))
        return row.id


def vote(database: Database, program: int, user: str, aamc: str, choice: Vote) -> voting.VoteResult:
    return voting.cast_vote(database, program_id=program, actor=user, aamc_id=aamc, vote=choice, now=NOW)


def five_members_vote(database: Database, program: int) -> None:
    plan = {
        A: {DIRECTOR: Vote.RANK_HIGH, M1: Vote.RANK_HIGH, M2: Vote.RANK_HIGH, M3: Vote.RANK, M4: Vote.IF_NEEDED},
        B: {DIRECTOR: Vote.RANK, M1: Vote.RANK, M2: Vote.RANK_HIGH, M3: Vote.IF_NEEDED, M4: Vote.DO_NOT_RANK},
        C: {DIRECTOR: Vote.IF_NEEDED, M1: Vote.IF_NEEDED, M2: Vote.IF_NEEDED, M3: Vote.RANK},
        E: {DIRECTOR: Vote.DO_NOT_RANK, M1: Vote.DO_NOT_RANK, M2: Vote.DO_NOT_RANK, M3: Vote.RANK},
    }
    for aamc, votes in plan.items():
        for user, choice in votes.items():
            vote(database, program, user, aamc, choice)


def audits(database: Database, action: str) -> list[AuditEvent]:
    with database.reading() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_vote_is_one_per_member_changeable_and_audited(database: Database, program: int) -> None:
    first = vote(database, program, M1, A, Vote.RANK)
    assert (first.before, first.after, first.tally[Vote.RANK]) == (None, Vote.RANK, 1)
    changed = vote(database, program, M1, A, Vote.RANK_HIGH)
    assert changed.before is Vote.RANK
    assert changed.tally[Vote.RANK] == 0
    assert changed.tally[Vote.RANK_HIGH] == 1
    same = vote(database, program, M1, A, Vote.RANK_HIGH)
    assert not same.changed
    with database.reading() as session:
        assert session.scalars(select(VoteRow.choice)).all() == ["rank high"]
    assert [(a.actor, a.target, a.before, a.after) for a in audits(database, "vote.cast")] == [
        (M1, f"candidate:{A}", None, {"choice": "rank", "source": "vote"}),
        (M1, f"candidate:{A}", {"choice": "rank"}, {"choice": "rank high", "source": "vote"}),
    ]


def test_a_vote_on_an_unknown_candidate_names_it_and_stores_nothing(database: Database, program: int) -> None:
    with pytest.raises(CandidateNotFound, match="No candidate has AAMC ID 99999999"):
        vote(database, program, M1, "99999999", Vote.RANK)
    with pytest.raises(CandidateNotFound, match="No candidate matches “Zzyzx”"):
        vote(database, program, M1, "Zzyzx", Vote.RANK)
    with pytest.raises(BadInput, match="neither an AAMC ID"):
        vote(database, program, M1, "1" * 400, Vote.RANK)
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(VoteRow)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_an_ordering_replaces_the_previous_one_and_bad_ids_store_nothing(database: Database, program: int) -> None:
    voting.set_ranking(database, program_id=program, actor=M1, aamc_ids=[A, B, C])
    result = voting.set_ranking(database, program_id=program, actor=M1, aamc_ids=[C, A])
    assert result.before == (A, B, C)
    assert [aamc for aamc, _ in result.ordering] == [C, A]
    assert result.ordering[0][1] == "Fictional, Casey"
    with pytest.raises(CandidateNotFound) as unknown:
        voting.set_ranking(database, program_id=program, actor=M1, aamc_ids=[B, "88888888", "77777777"])
    assert "88888888" in str(unknown.value) and "77777777" in str(unknown.value)
    with pytest.raises(BadInput, match=r"repeated: .*10000002"):
        voting.set_ranking(database, program_id=program, actor=M1, aamc_ids=[B, A, B])
    with database.reading() as session:
        stored = session.execute(select(Ranking.position, Candidate.aamc_id).join(
            Candidate, Candidate.id == Ranking.candidate_id).order_by(Ranking.position)).all()
    assert [tuple(row) for row in stored] == [(1, C), (2, A)]
    assert len(audits(database, "ranking.set")) == 2
    assert voting.clear_ranking(database, program_id=program, actor=M1) == 2
    assert voting.clear_ranking(database, program_id=program, actor=M1) == 0
    assert len(audits(database, "ranking.clear")) == 1


def test_an_ordering_that_contradicts_the_votes_is_reported(database: Database, program: int) -> None:
    vote(database, program, M2, A, Vote.IF_NEEDED)
    vote(database, program, M2, B, Vote.RANK_HIGH)
    result = voting.set_ranking(database, program_id=program, actor=M2, aamc_ids=[A, B])
    assert result.contradictions == ((A, B),)


def test_the_current_list_orders_supports_dissents_and_leaves_off_the_majority_dnr(database: Database,
                                                                                    program: int) -> None:
    five_members_vote(database, program)
    current = preference_list.current_list(database, program, COMMITTEE)
    assert [(line.rank, line.aamc_id) for line in current.lines] == [(1, A), (2, B), (3, C)]
    by_id = {line.aamc_id: line for line in current.lines}
    assert (len(by_id[A].support), len(by_id[A].dissent)) == (4, 0)
    assert by_id[B].dissent == (M4,)
    assert len(by_id[B].support) == 3
    assert by_id[C].not_voted == (M4,)
    assert by_id[A].bucket == "interviewed"
    assert by_id[A].track == "Internal Medicine|Categorical"
    assert by_id[B].track == "categorical"
    assert [x.aamc_id for x in current.excluded] == [E]
    assert current.ballots == 5
    assert D not in by_id  # nobody voted on D: not on the list
    assert preference_list.missing_votes(database, program, COMMITTEE) == {M4: [C]}


def test_pins_go_first_and_ties_are_broken_by_the_director_then_the_bucket(database: Database,
                                                                            program: int) -> None:
    # C and D: one member each way -> a tie, which the director's ordering breaks.
    voting.set_ranking(database, program_id=program, actor=M1, aamc_ids=[C, D])
    voting.set_ranking(database, program_id=program, actor=DIRECTOR, aamc_ids=[D, C])
    # A and B: same votes, nobody orders them -> a tie broken by the bucket (override first).
    for user in (M2, M3):
        vote(database, program, user, A, Vote.RANK)
        vote(database, program, user, B, Vote.RANK)
    with database.transaction() as session:
        session.scalars(select(Candidate).where(Candidate.aamc_id == B)).one().override_bucket = "internal"
    voting.set_pin(database, program_id=program, actor=DIRECTOR, aamc_id=G, pinned=True)
    # A pinned candidate stays on the list even if a majority marks it do not rank.
    voting.set_pin(database, program_id=program, actor=DIRECTOR, aamc_id=E, pinned=True)
    for user in (M1, M2, M3, M4):
        vote(database, program, user, E, Vote.DO_NOT_RANK)
    current = preference_list.current_list(database, program, COMMITTEE)
    order = [(line.aamc_id, line.tied, line.pinned) for line in current.lines]
    assert order[:2] == [(G, False, True), (E, False, True)]  # G: nobody says no; E: four say no
    ties = {line.aamc_id: line.tie_group for line in current.lines if line.tied}
    assert ties[C] == ties[D]
    assert ties[A] == ties[B]
    rest = [aamc for aamc, _, pinned in order if not pinned]
    assert rest.index(D) < rest.index(C)
    assert rest.index(B) < rest.index(A)
    assert current.tie_breaker == DIRECTOR
    assert current.excluded == ()
    assert [a.after for a in audits(database, "candidate.pin")] == [{"pinned_by": DIRECTOR}] * 2
    unpinned = voting.set_pin(database, program_id=program, actor=DIRECTOR, aamc_id=E, pinned=False)
    assert unpinned.changed
    assert E in [x.aamc_id for x in preference_list.current_list(database, program, COMMITTEE).excluded]


def test_observers_ballots_do_not_count_and_they_are_not_asked_to_vote(database: Database, program: int) -> None:
    five_members_vote(database, program)
    with database.transaction() as session:
        session.add(CommitteeRole(program_id=program, user_id=M4, role="observer", granted_by=DIRECTOR))
    current = preference_list.current_list(database, program, COMMITTEE)
    assert M4 not in current.members
    assert current.ballots == 4
    by_id = {line.aamc_id: line for line in current.lines}
    assert by_id[B].dissent == ()
    assert preference_list.missing_votes(database, program, COMMITTEE) == {}


def test_a_locked_round_keeps_its_order_while_votes_go_on_and_exports_the_same_csv(database: Database,
                                                                                  program: int) -> None:
    five_members_vote(database, program)
    (locked,) = preference_list.lock_round(database, program_id=program, actor=DIRECTOR, round_number=1, now=NOW,
                                           committee=COMMITTEE)
    assert [(e.rank, e.aamc_id, e.name, e.track) for e in locked.entries] == [
        (1, A, "Testperson, Avery", "Internal Medicine|Categorical"), (2, B, "Sampleton, Blake", "categorical"),
        (3, C, "Fictional, Casey", "Preliminary")]
    for user in COMMITTEE:
        vote(database, program, user, C, Vote.RANK_HIGH)
    assert preference_list.current_list(database, program, COMMITTEE).lines[0].aamc_id == C
    again = preference_list.locked_list(database, program, 1)
    assert again == locked
    exported, data = preference_list.export_csv(database, program, 1)
    assert exported == locked
    assert data == preference_list.snapshot_csv(locked)
    assert data.decode("utf-8-sig").splitlines()[1] == "1,10000001,\"Testperson, Avery\",Internal Medicine|Categorical"

    with pytest.raises(Conflict, match="already locked"):
        preference_list.lock_round(database, program_id=program, actor=DIRECTOR, round_number=1, now=NOW)
    with pytest.raises(BadInput, match="no round 5"):
        preference_list.lock_round(database, program_id=program, actor=DIRECTOR, round_number=5, now=NOW)
    with pytest.raises(BadInput, match="Say why"):
        preference_list.unlock_round(database, program_id=program, actor=DIRECTOR, round_number=1, reason="  ",
                                     now=NOW)
    assert preference_list.locked_list(database, program, 1) == locked

    later = NOW + timedelta(minutes=20)
    unlocked = preference_list.unlock_round(database, program_id=program, actor=DIRECTOR, round_number=1,
                                            reason="Fictional withdrew", now=later)
    assert (unlocked.unlocked_by, unlocked.reason) == (DIRECTOR, "Fictional withdrew")
    assert preference_list.locked_list(database, program, 1) is None
    with pytest.raises(Conflict, match="not locked"):
        preference_list.export_csv(database, program, 1)
    (relocked,) = preference_list.lock_round(database, program_id=program, actor=DIRECTOR, round_number=1,
                                             now=later, committee=COMMITTEE)
    assert relocked.entries[0].aamc_id == C
    with database.reading() as session:
        snapshots = session.scalars(select(ListSnapshot).order_by(ListSnapshot.id)).all()
    assert [(s.round, s.unlock_reason, s.unlocked_at is not None) for s in snapshots] == [
        (1, "Fictional withdrew", True), (1, None, False)]
    assert [a.action for a in audits(database, "list.lock") + audits(database, "list.unlock")] == [
        "list.lock", "list.lock", "list.unlock"]


def test_locking_an_empty_list_is_refused(database: Database, program: int) -> None:
    with pytest.raises(BadInput, match="nothing to lock"):
        preference_list.lock_round(database, program_id=program, actor=DIRECTOR, round_number=1, now=NOW)
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(ListSnapshot)) == 0


def test_the_card_shows_tallies_to_all_and_names_only_to_directors(database: Database, program: int) -> None:
    vote(database, program, M1, A, Vote.RANK_HIGH)
    vote(database, program, M2, A, Vote.DO_NOT_RANK)
    with database.reading() as session:
        candidate = session.scalars(select(Candidate).where(Candidate.aamc_id == A)).one()
        channel = voting.votes_card_section(session, candidate, CardViewer())
        director = voting.votes_card_section(session, candidate, CardViewer(DIRECTOR, is_director=True))
    assert channel is not None and director is not None
    assert "Rank high: *1*" in channel.lines[0]
    assert "Do not rank: *1*" in channel.lines[0]
    assert M1 not in " ".join(channel.lines)
    assert f"Rank high: <@{M1}>" in director.lines
    assert f"Do not rank: <@{M2}>" in director.lines
    detail = voting.candidate_votes(database, program_id=program, aamc_id=A)
    assert detail.by_vote[Vote.RANK_HIGH] == (M1,)
    assert detail.by_vote[Vote.RANK] == ()
    voting.set_ranking(database, program_id=program, actor=M3, aamc_ids=[B, A])
    assert voting.candidate_votes(database, program_id=program, aamc_id=A).ranked_at == {M3: 2}
    assert [(b.action_id, b.value) for b in channel.buttons] == [
        ("vote.rank_high", A), ("vote.rank", A), ("vote.if_needed", A), ("vote.do_not_rank", A)]


def test_ten_members_voting_at_once_lose_and_double_nothing(database: Database, program: int) -> None:
    members = [f"U0VOTER{n:03d}" for n in range(10)]
    targets = [A, B, C]
    barrier = threading.Barrier(len(members))
    failures: list[BaseException] = []

    def member_votes(user: str) -> None:
        try:
            barrier.wait(timeout=10)
            for aamc in targets:
                vote(database, program, user, aamc, Vote.RANK)
            final = Vote.RANK_HIGH if user.endswith(("0", "2", "4")) else Vote.IF_NEEDED
            for aamc in targets:
                vote(database, program, user, aamc, final)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=member_votes, args=(user,)) for user in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with database.reading() as session:
        rows = session.execute(select(VoteRow.user_id, Candidate.aamc_id, VoteRow.choice).join(
            Candidate, Candidate.id == VoteRow.candidate_id)).all()
    assert len(rows) == len(members) * len(targets)
    assert {(u, a) for u, a, _ in rows} == {(u, a) for u in members for a in targets}
    for user, _, choice in rows:
        assert choice == ("rank high" if user.endswith(("0", "2", "4")) else "only if needed")
    assert len(audits(database, "vote.cast")) == 2 * len(members) * len(targets)


def test_one_member_clicking_from_ten_threads_at_once_keeps_one_vote(database: Database, program: int) -> None:
    barrier = threading.Barrier(10)
    failures: list[BaseException] = []
    choices = [list(Vote)[n % 4] for n in range(10)]

    def click(choice: Vote) -> None:
        try:
            barrier.wait(timeout=10)
            vote(database, program, M1, A, choice)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=click, args=(choice,)) for choice in choices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with database.reading() as session:
        stored = session.execute(select(VoteRow.user_id, VoteRow.choice)).all()
    assert len(stored) == 1
    assert stored[0][0] == M1
    assert stored[0][1] in {v.value for v in Vote}
