"""Importing the ERAS export into a program, on every backend."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.access import ProgramRef
from bot.bootstrap import SETUP_HOOKS
from bot.domain.find_words import FindWordsError, parse_find
from bot.errors import BadInput, CandidateNotFound
from bot.services import programs
from bot.services.candidate_import import import_export
from bot.services.candidate_lookup import SeveralCandidates, lookup, resolve_one
from bot.services.candidate_search import find
from bot.services.flags import set_flag
from bot.services.overrides import set_override
from storage.database import Database
from storage.models import AuditEvent, Candidate
from tests.factories import applicant_row, applicant_rows, eras_csv, img_row, write_export

TODAY = date(2027, 3, 17)
NOW = datetime(2027, 3, 17, 14, 0, tzinfo=UTC)


def _program(database: Database, channel: str = "G0IMPORT01") -> ProgramRef:
    ref, _ = programs.setup_war_room(database, name=f"IM {channel}", team_id="T0TEST", user_id="U0DIRECTOR",
                                     channel=programs.ChannelFacts(channel, is_private=True),
                                     seed=SETUP_HOOKS, timezone="America/New_York", members=frozenset({"U0DIRECTOR"}))
    return ref


def _count(database: Database, program_id: int | None = None) -> int:
    with database.reading() as session:
        query = select(func.count()).select_from(Candidate)
        if program_id is not None:
            query = query.where(Candidate.program_id == program_id)
        return session.scalar(query) or 0


def _candidate(database: Database, aamc: str) -> Candidate:
    with database.reading() as session:
        found = session.scalar(select(Candidate).where(Candidate.aamc_id == aamc))
        assert found is not None
        session.expunge(found)
        return found


def test_600_rows_import_then_reimport_is_unchanged(database: Database, tmp_path: Path) -> None:
    program = _program(database)
    path = write_export(tmp_path / "soap-export.csv", applicant_rows(600))
    first = import_export(database, program.id, path, actor="U0DIRECTOR", today=TODAY)
    assert first.ok
    assert (first.new, first.updated, first.unchanged) == (600, 0, 0)
    assert _count(database) == 600
    again = import_export(database, program.id, path, actor="U0DIRECTOR", today=TODAY)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 600)
    with database.reading() as session:
        events = [e.after for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "candidates.import")
                                                   .order_by(AuditEvent.id))]
    assert [e["new"] for e in events] == [600, 0]
    assert [e["unchanged"] for e in events] == [0, 600]
    assert all("Avery" not in str(e) for e in events)  # counts, never names


def test_xlsx_reads_like_csv_and_derived_columns_are_stored(database: Database, tmp_path: Path) -> None:
    program = _program(database)
    rows = [applicant_row(1), img_row(2, "H-1B"), applicant_row(3, step1="Fail, Fail, Pass", grad_date="2016")]
    result = import_export(database, program.id, write_export(tmp_path / "e.xlsx", rows), actor="U", today=TODAY)
    assert result.ok
    assert result.new == 3
    clean, img, failed = (_candidate(database, row["AAMC ID"]) for row in rows)
    assert (clean.degree_type, clean.graduation_year, clean.visa_needed, clean.exam_failures) == ("US MD", 2025,
                                                                                                False, 0)
    assert clean.tracks == ["Categorical"]
    assert clean.states == ["OH"]
    assert (img.degree_type, img.visa_needed, img.bucket) == ("Non-US IMG", True, "do not rank")
    assert any("H-1B" in r["text"] for r in img.triage_reasons if r["kind"] == "bucket")
    assert failed.exam_failures == 2
    assert failed.bucket == "do not rank"


def test_a_file_with_three_bad_rows_imports_nothing_and_names_all_three(database: Database) -> None:
    program = _program(database)
    rows = applicant_rows(20)
    rows[3]["AAMC ID"] = "12AB"
    rows[8]["USMLE Step 2 CK Score"] = "abc"
    rows[15]["Medical School Graduation Date"] = "someday"
    result = import_export(database, program.id, eras_csv(rows), filename="bad.csv", actor="U", today=TODAY)
    assert not result.ok
    assert result.bad_rows == [5, 10, 17]  # header is row 1
    assert {e.column for e in result.errors} == {"AAMC ID", "USMLE Step 2 CK Score", "Medical School Graduation Date"}
    assert _count(database) == 0
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "candidates.import")) == 0


def test_dry_run_counts_without_writing_and_missing_columns_are_named(database: Database) -> None:
    program = _program(database)
    dry = import_export(database, program.id, eras_csv(applicant_rows(10)), filename="e.csv", actor="U",
                        today=TODAY, dry_run=True)
    assert dry.ok
    assert dry.new == 10
    assert _count(database) == 0
    missing = import_export(database, program.id, eras_csv([applicant_row(1, last_name=None, Hobby="chess")]),
                            filename="e.csv", actor="U", today=TODAY)
    assert missing.missing_required == ["Last Name"]
    assert missing.unknown_columns == ["Hobby"]
    assert not missing.ok
    assert _count(database) == 0
    garbage = import_export(database, program.id, b"\x00\x01PK garbage", filename="e.xlsx", actor="U", today=TODAY)
    assert garbage.problem
    assert not garbage.ok


def test_reimport_updates_by_aamc_id_and_keeps_what_the_committee_recorded(database: Database) -> None:
    program = _program(database)
    rows = applicant_rows(5)
    import_export(database, program.id, eras_csv(rows), filename="e.csv", actor="U", today=TODAY)
    target = rows[0]["AAMC ID"]
    set_flag(database, program=program, actor="U0MEMBER", candidate_key=target, word="rotated", value=True,
             today=TODAY)
    set_override(database, program=program, actor="U0DIRECTOR", candidate_key=target, bucket_text="backup",
                 reason="asked to be considered late", now=NOW)
    with database.transaction() as session:
        row = session.scalar(select(Candidate).where(Candidate.aamc_id == target))
        assert row is not None
        row.thread_ts, row.pinned_by = "1711000000.000100", "U0DIRECTOR"

    rows[0]["USMLE Step 2 CK Score"] = "251"
    rows[0]["Rotated Here"] = "No"  # the file never clears a flag the committee set
    rows[1]["Interviewed"] = "Yes"  # …but it adds flags
    result = import_export(database, program.id, eras_csv(rows), filename="e.csv", actor="U", today=TODAY)
    assert (result.new, result.updated, result.unchanged) == (0, 2, 3)
    kept = _candidate(database, target)
    assert kept.profile["exams"]["USMLE Step 2 CK"]["score"] == 251
    assert kept.rotated_here is True
    assert (kept.override_bucket, kept.override_by, kept.thread_ts, kept.pinned_by) == (
        "backup", "U0DIRECTOR", "1711000000.000100", "U0DIRECTOR")
    interviewed = _candidate(database, rows[1]["AAMC ID"])
    assert interviewed.interviewed is True
    assert interviewed.bucket == "interviewed"


def test_programs_are_separate(database: Database) -> None:
    one, two = _program(database, "G0PROGONE1"), _program(database, "G0PROGTWO1")
    data = eras_csv(applicant_rows(4))
    import_export(database, one.id, data, filename="e.csv", actor="U", today=TODAY)
    result = import_export(database, two.id, data, filename="e.csv", actor="U", today=TODAY)
    assert result.new == 4
    assert _count(database, one.id) == 4
    assert _count(database, two.id) == 4


def test_lookup_by_id_fragment_several_and_unknown(database: Database) -> None:
    program = _program(database)
    rows = [applicant_row(1, first_name="Marlow", last_name="Quillfeather"),
            applicant_row(2, first_name="Marlow", last_name="Ashgrove"),
            applicant_row(3, first_name="Tindra", last_name="Vexley")]
    import_export(database, program.id, eras_csv(rows), filename="e.csv", actor="U", today=TODAY)
    with database.reading() as session:
        by_id = lookup(session, program.id, rows[2]["AAMC ID"])
        assert isinstance(by_id, Candidate)
        assert by_id.last_name == "Vexley"
        by_fragment = lookup(session, program.id, "quillfeath")
        assert isinstance(by_fragment, Candidate)
        assert by_fragment.first_name == "Marlow"
        several = lookup(session, program.id, "marlow")
        assert isinstance(several, list)
        assert {c.name for c in several} == {"Marlow Quillfeather", "Marlow Ashgrove"}
        with pytest.raises(SeveralCandidates):
            resolve_one(session, program.id, "marlow")
        with pytest.raises(CandidateNotFound) as unknown:
            lookup(session, program.id, "Vexly")
        assert "Tindra Vexley" in str(unknown.value)


def test_flags_are_audited_and_recompute_triage(database: Database) -> None:
    program = _program(database)
    rows = [applicant_row(1, aoa="No", recent_months="0", permanent_state="TX", contact_state="TX",
                          school_state="TX")]
    import_export(database, program.id, eras_csv(rows), filename="e.csv", actor="U", today=TODAY)
    assert _candidate(database, rows[0]["AAMC ID"]).bucket == "backup"
    result = set_flag(database, program=program, actor="U0MEMBER", candidate_key=rows[0]["AAMC ID"],
                      word="home", value=True, today=TODAY)
    assert result.changed
    assert (result.bucket_before, result.bucket_after) == ("backup", "internal")
    off = set_flag(database, program=program, actor="U0MEMBER", candidate_key=rows[0]["AAMC ID"], word="home",
                   value=False, today=TODAY)
    assert off.bucket_after == "backup"
    with database.reading() as session:
        audits = [(a.before["home_student"], a.after["home_student"]) for a in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "candidates.flag").order_by(AuditEvent.id))]
    assert audits == [(False, True), (True, False)]
    with pytest.raises(BadInput):
        set_flag(database, program=program, actor="U", candidate_key=rows[0]["AAMC ID"], word="famous",
                 value=True, today=TODAY)


def test_find_filters_combine(database: Database) -> None:
    program = _program(database)
    rows = [applicant_row(1, grad_date="05/01/2023"), img_row(2, "J-1"), img_row(3, None, citizenship="U.S. Citizen"),
            applicant_row(4, step1="Fail, Pass", permanent_state="PA", contact_state="PA", school_state="PA"),
            applicant_row(5, interviewed="Yes", grad_date="05/01/2021")]
    import_export(database, program.id, eras_csv(rows), filename="e.csv", actor="U", today=TODAY)

    def ids(text: str) -> set[str]:
        return {c.aamc_id for c in find(database, program.id, parse_find(text.split())).items}

    assert ids("visa:no") == {rows[i]["AAMC ID"] for i in (0, 2, 3, 4)}
    assert ids("type:img") == {rows[1]["AAMC ID"], rows[2]["AAMC ID"]}
    assert ids("type:img visa:no") == {rows[2]["AAMC ID"]}
    assert ids("fails:0 grad>=2023 state:OH") == {rows[0]["AAMC ID"]}
    assert ids("state:PA") == {rows[3]["AAMC ID"]}
    assert ids("flag:interviewed") == {rows[4]["AAMC ID"]}
    assert ids("bucket:interviewed") == {rows[4]["AAMC ID"]}
    with pytest.raises(FindWordsError, match="Unknown filter `colour`"):
        parse_find(["colour:blue"])
    paged = find(database, program.id, parse_find([]), page=2, per_page=2)
    assert paged.total == 5
    assert paged.pages == 3
    assert len(paged.items) == 2
    assert paged.has_next


def test_bidi_and_zero_width_controls_are_removed_from_everything_a_file_says(database: Database) -> None:
    """bot.domain.file_text.visible_text in every cell read (bot.eras.cells.cell_text). Before: a last name
    `Smith` + U+202E + `knaR toN oD` was stored and posted, and rendered as "Smith Do Not Rank"."""
    program = _program(database)
    spoofed = "Smith\u202eknaR toN oD"
    rows = [applicant_row(1, first_name="A\u200bvery\u2066", last_name=spoofed, school="Iron\u200dbridge\ufeff College",
                          tracks=["Internal Medicine|1234140C0 (Cate\u202egorical)"])]
    result = import_export(database, program.id, eras_csv(rows), filename="e.csv", actor="U", today=TODAY)
    assert result.ok, result.errors
    with database.reading() as session:
        candidate = session.scalars(select(Candidate)).one()
    stored = " ".join([candidate.first_name, candidate.last_name, *candidate.tracks, str(candidate.profile)])
    assert candidate.first_name == "Avery" and candidate.last_name == "SmithknaR toN oD"
    assert "Ironbridge College" in stored and "Categorical" in stored
    assert not any(ch in stored for ch in "\u202e\u200b\u2066\u200d\ufeff")


def test_imports_of_the_same_new_export_at_once_take_turns(database: Database) -> None:
    """Two members sharing the same new export at the same moment: both imports finish (the second finds the
    first's applicants and leaves them unchanged), none fails. Before (PostgreSQL): the second raised an
    IntegrityError naming an AAMC ID, and its sharer got no answer."""
    program = _program(database)
    data = eras_csv(applicant_rows(300))
    start = threading.Barrier(4)

    def share() -> object:
        start.wait()
        try:
            return import_export(database, program.id, data, filename="e.csv", actor="U", today=TODAY)
        except Exception as error:  # what the test reports: the import must not raise
            return error

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: share(), range(4)))
    failed = [type(r).__name__ for r in results if isinstance(r, Exception)]
    assert failed == []
    assert sorted(r.new for r in results) == [0, 0, 0, 300]  # type: ignore[union-attr]
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 300
