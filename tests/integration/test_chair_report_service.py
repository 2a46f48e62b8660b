"""The chair's report from stored records, on both databases: counts, who accepted, when the last position
filled, and the week's missed deadlines and alarms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services import chair_report
from storage.database import Database
from storage.models import (
    Candidate,
    CardView,
    Interview,
    ListEntry,
    ListSnapshot,
    Offer,
    Position,
    Program,
    ReferenceNote,
    Reminder,
    Round,
    Vote,
)

DEADLINE_1 = datetime(2027, 3, 18, 12, 55, tzinfo=UTC)
DEADLINE_2 = datetime(2027, 3, 18, 15, 55, tzinfo=UTC)
NOW = datetime(2027, 3, 19, 16, 0, tzinfo=UTC)


def _seed(database: Database, *, certify_round_1: bool) -> int:
    with database.transaction() as session:
        program = Program(name="IM Report", team_id="T1", channel_id="G1", timezone="America/New_York",
                          created_by="U1")
        session.add(program)
        session.flush()
        pid = program.id
        for number, deadline in ((1, DEADLINE_1), (2, DEADLINE_2)):
            session.add(Round(program_id=pid, number=number, deadline_at=deadline,
                              offers_at=deadline + timedelta(minutes=5), expires_at=deadline + timedelta(hours=2)))
        session.add(Position(program_id=pid, track="categorical", total=1))
        people = [Candidate(program_id=pid, aamc_id=f"7100000{n}", first_name=f"First{n}", last_name=f"Last{n}",
                            bucket="strong paper") for n in range(1, 6)]
        session.add_all(people)
        session.flush()
        accepted, declined, opened, noted, _unseen = people
        session.add_all([
            Vote(program_id=pid, candidate_id=accepted.id, user_id="U2", choice="rank high"),
            Vote(program_id=pid, candidate_id=declined.id, user_id="U3", choice="rank"),
            CardView(candidate_id=opened.id, user_id="U3", program_id=pid),
            ReferenceNote(program_id=pid, candidate_id=noted.id, author="U2", source="command", text="fine"),
            ReferenceNote(program_id=pid, candidate_id=noted.id, author="plan", source="plan", text="pre-SOAP"),
            Interview(program_id=pid, candidate_id=accepted.id, state="done", proposed_by="U1", interviewer="U3"),
            Offer(program_id=pid, candidate_id=declined.id, round=1, track="categorical", status="rejected",
                  recorded_by="U1", recorded_at=DEADLINE_1 + timedelta(hours=1)),
            Offer(program_id=pid, candidate_id=accepted.id, round=2, track="categorical", status="accepted",
                  recorded_by="U1", recorded_at=DEADLINE_2 + timedelta(hours=1)),
            Reminder(key="alarm-1", program_id=pid, kind="deadline_alarm", round=1, due_at=DEADLINE_1,
                     subject_at=DEADLINE_1, state="sent", sent_at=DEADLINE_1, message_ts="1711000000.000500"),
            Reminder(key="lead-2", program_id=pid, kind="deadline_lead", round=2, due_at=DEADLINE_2,
                     subject_at=DEADLINE_2, state="missed"),
        ])
        for number in (1, 2):
            snapshot = ListSnapshot(program_id=pid, round=number, locked_by="U1", locked_at=DEADLINE_1 - timedelta(
                hours=3), certified_by="U1" if number == 2 or certify_round_1 else None,
                certified_at=(DEADLINE_1 - timedelta(hours=2)) if number == 1 and certify_round_1
                else (DEADLINE_2 - timedelta(hours=1)) if number == 2 else None)
            session.add(snapshot)
            session.flush()
            session.add_all(ListEntry(snapshot_id=snapshot.id, rank=rank, aamc_id=c.aamc_id, name="x", track="cat")
                            for rank, c in enumerate((declined, accepted), start=1))
    return pid


def test_the_report_counts_the_week_and_names_only_who_accepted(database: Database) -> None:
    pid = _seed(database, certify_round_1=False)
    report = chair_report.chair_report(database, pid, NOW)
    assert (report.imported, report.reviewed, report.voted_on, report.interviewed, report.unseen) == (5, 4, 2, 1, 1)
    assert [(m.user_id, m.notes, m.interviews) for m in report.members] == [("U2", 1, 0), ("U3", 0, 1)]
    assert [(a.name, a.aamc_id, a.round) for a in report.accepted] == [("Last1, First1", "71000001", 2)]
    assert report.last_filled_at == DEADLINE_2 + timedelta(hours=1)
    assert [(c.title, c.total, c.filled, c.open) for c in report.codes] == [("categorical", 1, 1, 0)]
    first, second = report.rounds
    assert first.offers == {"rejected": 1} and first.accepted == ()
    assert [(x.used_from_round, x.locked, x.certified, x.locked_size) for x in first.lists] == [(None, True, False, 2)]
    assert [(x.used_from_round, x.used_size) for x in second.lists] == [(2, 2)]
    assert [e.what for e in report.events] == [
        "Round 1 list deadline passed with no list recorded as certified in R3 for the round",
        "The deadline alarm of round 1 was posted: a list was not locked or not certified at the deadline",
        "The reminder before the list deadline of round 2 could not be posted in time"]
    markdown = chair_report.report_files(database, pid, NOW)[1].decode()
    for someone_else in ("71000002", "Last2", "71000003", "Last5"):
        assert someone_else not in markdown


def test_a_round_certified_by_its_deadline_is_no_missed_deadline(database: Database) -> None:
    pid = _seed(database, certify_round_1=True)
    report = chair_report.chair_report(database, pid, NOW)
    assert not any("deadline passed" in e.what for e in report.events)
    assert [(x.used_from_round, x.certified) for x in report.rounds[0].lists] == [(1, True)]
