"""The pre-SOAP plan in storage: all-or-nothing import, carried into SOAP by the export's import,
the committee winning over it, the purge deleting it, and who nobody has looked at."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from bot.access import ProgramRef
from bot.bootstrap import SETUP_HOOKS
from bot.domain.preference_list import Vote
from bot.services import programs
from bot.services.candidate_import import import_export
from bot.services.overrides import set_override
from bot.services.plan import import_plan, overview, record_view, unseen, unseen_count
from bot.services.records import purge
from bot.services.voting import cast_vote
from storage.database import Database
from storage.models import AuditEvent, Candidate, CardView, PlanEntry, ReferenceNote
from tests.factories import aamc_id, applicant_row, eras_csv, eras_xlsx, img_row, synthetic_name

TODAY = date(2027, 3, 15)
NOW = datetime(2027, 3, 15, 16, 0, tzinfo=UTC)
DIRECTOR = "U0DIRECTOR"
COORDINATOR = "U0COORDIN8"


def _program(database: Database) -> ProgramRef:
    ref, _ = programs.setup_war_room(database, name="IM Plan", team_id="T0TEST", user_id=DIRECTOR,
                                     channel=programs.ChannelFacts("G0PLAN0001", is_private=True),
                                     seed=SETUP_HOOKS, timezone="America/New_York",
                                     members=frozenset({DIRECTOR, COORDINATOR}))
    return ref


def plan_row(index: int, choice: str, note: str | None = None, **flags: str) -> dict[str, Any]:
    first, last = synthetic_name(index)
    row = {"AAMC ID": aamc_id(index), "Applicant Name": f"{last.upper()}, {first.upper()}", "Pre-SOAP": choice}
    row.update({"Interviewed": flags.get("interviewed", ""), "Rotated Here": flags.get("rotated", ""),
                "Home Student": flags.get("home", ""), "Note": note or ""})
    return row


def _import_plan(database: Database, program: ProgramRef, rows: list[dict[str, Any]], name: str = "plan.csv"
                 ) -> Any:
    data = eras_xlsx(rows) if name.endswith(".xlsx") else eras_csv(rows)
    return import_plan(database, program.id, data, filename=name, actor=COORDINATOR, today=TODAY, now=NOW)


def _import_export(database: Database, program: ProgramRef, rows: list[dict[str, Any]]) -> Any:
    result = import_export(database, program.id, eras_csv(rows), filename="soap.csv", actor=COORDINATOR,
                           today=TODAY, now=NOW)
    assert result.ok, result.errors
    return result


def _candidate(database: Database, index: int) -> Candidate:
    with database.reading() as session:
        found = session.scalar(select(Candidate).where(Candidate.aamc_id == aamc_id(index)))
        assert found is not None
        session.expunge(found)
        return found


def _plan_notes(database: Database) -> dict[str, str]:
    with database.reading() as session:
        return {aamc: text for aamc, text in session.execute(
            select(Candidate.aamc_id, ReferenceNote.text).join(Candidate, Candidate.id == ReferenceNote.candidate_id)
            .where(ReferenceNote.source == "plan"))}


def test_a_plan_of_five_then_an_export_of_three_starts_them_in_the_plans_buckets(database: Database) -> None:
    program = _program(database)
    result = _import_plan(database, program, [
        plan_row(1, "thrilled", "strong interview, no rank", interviewed="Yes"),
        plan_row(2, "SOAP only", "failed Step 1, improved Step 2"),
        plan_row(3, "no way", "unprofessional on the away rotation", rotated="Y"),
        plan_row(4, "thrilled", home="Yes"),
        plan_row(5, "soap-only"),
    ])
    assert result.ok and result.rows == 5 and result.in_soap == 0
    assert result.counts == {"thrilled": 2, "soap-only": 2, "no": 1}

    imported = _import_export(database, program, [applicant_row(i) for i in (1, 2, 3, 9)])
    assert imported.from_plan == 3
    expected = {1: ("internal", "pre-SOAP plan: thrilled"), 2: ("backup", "pre-SOAP plan: soap-only"),
                3: ("do not rank", "pre-SOAP plan: no (no way)")}
    for index, (bucket, reason) in expected.items():
        candidate = _candidate(database, index)
        assert (candidate.override_bucket, candidate.override_reason, candidate.override_by) == (
            bucket, reason, COORDINATOR)
    assert _candidate(database, 1).interviewed and _candidate(database, 3).rotated_here
    assert _candidate(database, 9).override_bucket is None
    assert _plan_notes(database) == {aamc_id(1): "strong interview, no rank",
                                     aamc_id(2): "failed Step 1, improved Step 2",
                                     aamc_id(3): "unprofessional on the away rotation"}

    shown = overview(database, program.id)
    assert [(p.aamc_id, p.bucket) for p in shown.applied] == sorted(
        [(aamc_id(1), "internal"), (aamc_id(2), "backup"), (aamc_id(3), "do not rank")],
        key=lambda item: [p.aamc_id for p in shown.applied].index(item[0]))
    assert {p.aamc_id for p in shown.not_applied} == {aamc_id(4), aamc_id(5)}
    assert shown.not_in_plan == 1

    again = _import_export(database, program, [applicant_row(i) for i in (1, 2, 3, 9, 4)])
    assert again.from_plan == 1
    assert _candidate(database, 4).override_bucket == "internal" and _candidate(database, 4).home_student
    shown = overview(database, program.id)
    assert {p.aamc_id for p in shown.not_applied} == {aamc_id(5)}
    assert aamc_id(4) in {p.aamc_id for p in shown.applied}
    assert len(_plan_notes(database)) == 3  # a re-import never adds the plan's note twice


def test_a_bad_plan_stores_nothing_names_every_bad_row_and_keeps_the_old_plan(database: Database) -> None:
    program = _program(database)
    assert _import_plan(database, program, [plan_row(1, "thrilled"), plan_row(2, "no")]).ok
    bad = [plan_row(3, "thrilled"), plan_row(4, "perhaps"), plan_row(5, "no", interviewed="sometimes"),
           {**plan_row(6, "no"), "AAMC ID": "12AB"}, plan_row(3, "no")]
    result = _import_plan(database, program, bad, "plan-v2.csv")
    assert not result.ok
    assert result.bad_rows == [3, 4, 5, 6]
    assert [(e.row_number, e.column) for e in result.errors] == [
        (3, "Pre-SOAP"), (4, "Interviewed"), (5, "AAMC ID"), (6, "AAMC ID")]
    with database.reading() as session:
        assert set(session.scalars(select(PlanEntry.aamc_id))) == {aamc_id(1), aamc_id(2)}
    missing = _import_plan(database, program, [{"AAMC ID": aamc_id(1), "Pre-SOAP": "no"}])
    assert missing.missing_required == ["Applicant Name (or First Name and Last Name)"]


def test_reimporting_the_plan_replaces_it_and_never_replaces_a_directors_override(database: Database) -> None:
    program = _program(database)
    _import_export(database, program, [applicant_row(i) for i in (1, 2, 3)])
    result = _import_plan(database, program, [plan_row(1, "thrilled"), plan_row(2, "thrilled"), plan_row(3, "no")])
    assert result.in_soap == 3
    set_override(database, program=program, actor=DIRECTOR, candidate_key=aamc_id(2), bucket_text="strong",
                 reason="we read the letters again", now=NOW)
    result = _import_plan(database, program, [plan_row(2, "no"), plan_row(3, "soap-only")], "plan-v2.xlsx")
    assert result.ok and result.replaced == 3
    assert _candidate(database, 1).override_bucket is None  # no longer in the plan
    assert _candidate(database, 2).override_bucket == "strong paper"  # the director's choice stays
    assert _candidate(database, 3).override_bucket == "backup"
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(PlanEntry)) == 2
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "plan.import")
                                .order_by(AuditEvent.id.desc())).first()
        assert audit is not None and audit.after == {"rows": 2, "in_soap": 2, "replaced": 3, "thrilled": 0,
                                                     "soap-only": 1, "no": 1}
        assert "Alvarez" not in str(audit.after)


def test_a_directors_override_worded_like_the_plans_survives_the_next_plan(database: Database) -> None:
    program = _program(database)
    _import_export(database, program, [applicant_row(i) for i in (1, 2)])
    _import_plan(database, program, [plan_row(1, "thrilled"), plan_row(2, "thrilled")])
    for index in (1, 2):
        set_override(database, program=program, actor=DIRECTOR, candidate_key=aamc_id(index), bucket_text="backup",
                     reason="pre-SOAP plan: was thrilled, but we read the letters again", now=NOW)
    _import_plan(database, program, [plan_row(2, "no")], "plan-v2.csv")
    for index in (1, 2):  # 1 is no longer in the plan, 2 is there with another choice: neither moves
        candidate = _candidate(database, index)
        assert (candidate.override_bucket, candidate.override_by) == ("backup", DIRECTOR)
        assert candidate.override_reason == "pre-SOAP plan: was thrilled, but we read the letters again"
    applied = {person.aamc_id: person for person in overview(database, program.id).applied}
    assert applied[aamc_id(2)].bucket == "backup" and not applied[aamc_id(2)].plan_bucket_kept


def test_a_thrilled_plan_row_never_hides_the_deal_breaker_the_export_shows(database: Database) -> None:
    program = _program(database)
    _import_export(database, program, [img_row(7, "H-1B")])  # the default policy sponsors J-1 only
    assert _import_plan(database, program, [plan_row(7, "thrilled")]).in_soap == 1
    candidate = _candidate(database, 7)
    assert (candidate.bucket, candidate.override_bucket) == ("do not rank", "internal")
    assert any("H-1B" in str(r.get("text")) for r in candidate.triage_reasons)
    assert unseen_count(database, program.id) == 0  # a deal-breaker is never "eligible"
    assert overview(database, program.id).applied[0].computed_bucket == "do not rank"


def test_unseen_lists_eligible_untouched_applicants_best_first_until_someone_looks(database: Database) -> None:
    program = _program(database)
    _import_export(database, program, [applicant_row(1), applicant_row(2, step1="Fail, Pass", step2ck="221"),
                                       applicant_row(3), applicant_row(4), img_row(5, "H-1B")])
    _import_plan(database, program, [plan_row(3, "no"), plan_row(4, "thrilled", "great")])
    listed = unseen(database, program.id)
    # thrilled (internal) first, then by bucket; "no" (do not rank) and the H-1B deal-breaker are not listed,
    # and the plan's own note does not count as someone looking.
    assert listed[0].aamc_id == aamc_id(4)
    assert {item.aamc_id for item in listed} == {aamc_id(1), aamc_id(2), aamc_id(4)}
    assert unseen_count(database, program.id) == 3

    candidate = _candidate(database, 1)
    assert record_view(database, program_id=program.id, candidate_id=candidate.id, user_id=DIRECTOR, now=NOW)
    assert not record_view(database, program_id=program.id, candidate_id=candidate.id, user_id=DIRECTOR, now=NOW)
    cast_vote(database, program_id=program.id, actor=COORDINATOR, aamc_id=aamc_id(2), vote=Vote.RANK, now=NOW)
    assert [item.aamc_id for item in unseen(database, program.id)] == [aamc_id(4)]


def test_the_purge_deletes_the_plan_and_the_card_views(database: Database) -> None:
    program = _program(database)
    _import_export(database, program, [applicant_row(1)])
    _import_plan(database, program, [plan_row(1, "thrilled", "note"), plan_row(2, "no")])
    record_view(database, program_id=program.id, candidate_id=_candidate(database, 1).id, user_id=DIRECTOR, now=NOW)
    purge(database, program_id=program.id, actor=DIRECTOR, now=NOW)
    with database.reading() as session:
        for model in (PlanEntry, CardView, ReferenceNote, Candidate):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model.__name__


def test_the_plan_shared_as_an_export_imports_nobody_as_a_soap_applicant(database: Database) -> None:
    program = _program(database)
    result = import_export(database, program.id, eras_csv([plan_row(1, "thrilled"), plan_row(2, "no")]),
                           filename="plan.csv", actor=COORDINATOR, today=TODAY, now=NOW)
    assert not result.ok and "is a pre-SOAP plan" in (result.problem or "")
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_the_reminders_count_only_unseen_applicants_a_list_could_still_reach(database: Database) -> None:
    from bot.domain.offers import Availability
    from bot.services.offers import set_availability

    program = _program(database)
    _import_export(database, program, [
        applicant_row(1, tracks=["Internal Medicine|1234140C0 (Categorical)"]),
        applicant_row(2, tracks=["Internal Medicine|1234140P0 (Preliminary)"]),
        applicant_row(3, tracks=["Categorical"]),  # no code: the program keeps one list
        applicant_row(4, tracks=["Internal Medicine|1234140C0 (Categorical)"]),
    ])
    assert unseen_count(database, program.id) == 4  # no positions set: everyone
    assert unseen_count(database, program.id, frozenset({"1234140C0"})) == 3  # the prelim code is full
    assert unseen_count(database, program.id, frozenset()) == 1
    set_availability(database, program_id=program.id, actor=DIRECTOR, candidate_key=aamc_id(4),
                     availability=Availability.ACCEPTED_ELSEWHERE, now=NOW)
    assert aamc_id(4) not in {item.aamc_id for item in unseen(database, program.id)}  # out of SOAP
    assert unseen(database, program.id)[0].codes in ((), ("1234140C0",), ("1234140P0",))


def test_positions_per_program_code_set_before_monday_belong_to_the_codes_the_export_brings(
        database: Database) -> None:
    from bot.services.positions import positions_status, set_positions
    from bot.services.preference_list import program_codes

    program = _program(database)
    set_positions(database, program_id=program.id, actor=DIRECTOR, pairs={"1234140c0": "3", "1234140P0": "1"})
    _import_export(database, program, [applicant_row(1, tracks=["Internal Medicine|1234140C0 (Categorical)"]),
                                       applicant_row(2, tracks=["Internal Medicine|1234140P0 (Preliminary)"])])
    assert [(c.code, c.open) for c in positions_status(database, program.id).codes] == [
        ("1234140C0", 3), ("1234140P0", 1)]
    with database.reading() as session:
        assert sorted(program_codes(session, program.id)) == ["1234140C0", "1234140P0"]


def test_the_export_shared_as_a_plan_is_named_as_an_export_and_changes_nothing(database: Database) -> None:
    program = _program(database)
    assert _import_plan(database, program, [plan_row(1, "thrilled")]).ok
    result = _import_plan(database, program, [applicant_row(1), applicant_row(2)], "soap-export.csv")
    assert not result.ok
    assert "soap-export.csv is an ERAS export" in (result.problem or "")
    assert "`soapbot import`" in (result.problem or "")
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(PlanEntry)) == 1  # the plan is unchanged
