"""Purge and archive on both databases: after a purge no table holds an applicant's name or AAMC ID."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

from sqlalchemy import inspect, select, text

from bot.services import audit, records
from storage.database import Database
from storage.models import (
    Base,
    Candidate,
    Interview,
    ListEntry,
    ListSnapshot,
    Offer,
    Program,
    PurgeRecord,
    Ranking,
    ReferenceNote,
    Reminder,
    Scorecard,
    Vote,
)

NOW = datetime(2027, 3, 19, 23, 0, tzinfo=UTC)
NAME, SURNAME, AAMC = "Quillon", "Vexmarrow", "31415926"


def _seed(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        program = Program(name="IM Test", team_id="T1", channel_id="G1", timezone="America/New_York",
                          created_by="U1")
        other = Program(name="Surgery Test", team_id="T1", channel_id="G2", timezone="America/New_York",
                        created_by="U1")
        session.add_all([program, other])
        session.flush()
        for prog, aamc in ((program, AAMC), (other, "27182818")):
            cand = Candidate(program_id=prog.id, aamc_id=aamc, first_name=NAME, last_name=SURNAME,
                             profile={"first_name": NAME, "last_name": SURNAME, "aamc_id": aamc},
                             thread_ts="1711000000.000100", triage_reasons=[f"{NAME} has ties"])
            session.add(cand)
            session.flush()
            session.add_all([
                ReferenceNote(program_id=prog.id, candidate_id=cand.id, author="U2", source="command",
                              text=f"Called about {NAME} {SURNAME}: =HYPERLINK(\"http://x\")"),
                Vote(program_id=prog.id, candidate_id=cand.id, user_id="U2", choice="rank high"),
                Ranking(program_id=prog.id, user_id="U2", candidate_id=cand.id, position=1),
                Offer(program_id=prog.id, candidate_id=cand.id, round=1, track="categorical", status="accepted",
                      recorded_by="U1"),
            ])
            interview = Interview(program_id=prog.id, candidate_id=cand.id, state="done", proposed_by="U1",
                                  outcome_note=f"{SURNAME} was great")
            session.add(interview)
            session.flush()
            session.add(Scorecard(program_id=prog.id, interview_id=interview.id, candidate_id=cand.id, author="U2",
                                  clinical=4, communication=5, reliability=4, fit=5, recommendation="rank high",
                                  comment=f"{NAME} is kind"))
            session.add(Reminder(key=f"p{prog.id}:i{interview.id}:interview-10", program_id=prog.id,
                                 kind="interview", interview_id=interview.id, due_at=NOW, subject_at=NOW))
            snapshot = ListSnapshot(program_id=prog.id, round=1, locked_by="U1")
            session.add(snapshot)
            session.flush()
            session.add(ListEntry(snapshot_id=snapshot.id, rank=1, candidate_id=cand.id, aamc_id=aamc,
                                  name=f"{SURNAME}, {NAME}", track="categorical"))
            audit.record(session, program_id=prog.id, actor="U1", action="candidates.import", target=None,
                         after={"names": [NAME]})
            audit.record(session, program_id=prog.id, actor="U1", action="triage.override",
                         target=f"candidate:{aamc}", before={"bucket": "backup"}, after={"reason": SURNAME})
        return program.id, other.id


def _table_text(database: Database) -> dict[str, str]:
    found: dict[str, str] = {}
    with database.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            found[table] = " ".join(str(value) for row in rows for value in row)
    return found


def test_purge_leaves_no_name_or_aamc_id_in_any_table(database: Database) -> None:
    program_id, other_id = _seed(database)
    counts, cards = records.purge(database, program_id=program_id, actor="U1", now=NOW)
    assert (counts.candidates, counts.notes, counts.votes, counts.snapshots, counts.interviews) == (1, 1, 1, 1, 1)
    assert cards == ["1711000000.000100"]
    # The other program's data must still be there: purge one program, never its neighbour.
    everything = _table_text(database)
    assert set(everything) >= {t.name for t in Base.metadata.sorted_tables}
    with database.reading() as session:
        remaining = session.scalars(select(Candidate.program_id)).all()
        assert remaining == [other_id]
        record = session.scalar(select(PurgeRecord))
        assert record is not None and record.counts["candidates"] == 1
        assert session.get(Program, program_id).purged_at == NOW  # type: ignore[union-attr]
    # Scan every table except the neighbour's rows, which legitimately hold their own applicant.
    records.purge(database, program_id=other_id, actor="U1", now=NOW)
    for table, content in _table_text(database).items():
        for secret in (NAME, SURNAME, AAMC, "27182818"):
            assert secret not in content, f"{secret} left in {table}"


def test_archive_is_formula_safe_and_complete(database: Database) -> None:
    program_id, _ = _seed(database)
    archive = zipfile.ZipFile(io.BytesIO(records.export_archive(database, program_id)))
    assert set(archive.namelist()) >= {"applicants.csv", "reference_notes.csv", "votes.csv",
                                       "preference_lists.csv", "audit.csv"}
    notes = list(csv.DictReader(io.StringIO(archive.read("reference_notes.csv").decode("utf-8-sig"))))
    assert notes[0]["AAMC ID"] == AAMC
    assert notes[0]["Note"].startswith("Called about")
    lists = list(csv.DictReader(io.StringIO(archive.read("preference_lists.csv").decode("utf-8-sig"))))
    assert [(r["Rank"], r["AAMC ID"]) for r in lists] == [("1", AAMC)]


def test_formula_cells_are_neutralised() -> None:
    from bot.spreadsheet import csv_bytes, safe_cell

    assert [safe_cell(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "plain", None)] == \
        ["'=1+1", "'+1", "'-2", "'@SUM(A1)", "plain", ""]
    rows = list(csv.reader(io.StringIO(csv_bytes(["a"], [['=HYPERLINK("http://evil","x")']]).decode("utf-8-sig"))))
    assert rows[1][0].startswith("'=")
