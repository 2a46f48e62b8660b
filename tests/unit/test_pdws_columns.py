"""The columns real PDWS exports carry (../shared/DOMAIN.md §4): names, numbered repeats, tracks,
honor societies in both forms, red flags, contact, and what the file could not tell."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from bot.domain.candidates import ApplicantProfile, degree_kind, degree_type
from bot.domain.names import natural_case, split_applicant_name
from bot.domain.triage import rules_without_data
from bot.eras import ImportReport, read_export

CATEGORICAL = "Internal Medicine|1234140C0 (Categorical)"
PRELIMINARY = "Internal Medicine|1234140P0 (Preliminary)"


def export(header: list[str], *rows: list[str]) -> ImportReport:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    return read_export(b"\xef\xbb\xbf" + buffer.getvalue().encode(), "pdws.csv")


def only(report: ImportReport) -> ApplicantProfile:
    assert report.errors == [] and report.missing_required == [], (report.errors, report.missing_required)
    assert len(report.rows) == 1
    return report.rows[0].profile


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "shown"), [
    ("NÚÑEZ", "Núñez"), ("O'BRIEN", "O'Brien"), ("MCDONALD", "McDonald"), ("SMITH-JONES", "Smith-Jones"),
    ("O'BRIEN-MCDONALD", "O'Brien-McDonald"), ("McDonald", "McDonald"), ("DeVries", "DeVries"),
    ("van der Berg", "van der Berg"), ("ØSTERGÅRD", "Østergård"), ("bell", "bell"),
    ("MCDONALD III", "McDonald III"), ("SMITH IV", "Smith IV"), ("SMITH JR.", "Smith Jr."), ("XI", "Xi"),
    ("LEE SR", "Lee Sr"),
])
def test_a_name_in_capitals_is_shown_in_natural_case_and_any_other_as_written(written: str, shown: str) -> None:
    assert natural_case(written) == shown


def test_particles_are_lower_case_inside_a_surname_only() -> None:
    assert natural_case("VAN DER BERG", surname=True) == "van der Berg"
    assert natural_case("DE LA CRUZ", surname=True) == "de la Cruz"
    assert natural_case("VAN", surname=True) == "Van"  # a surname that is only the word keeps its capital


@pytest.mark.parametrize(("cell", "first", "middle", "last"), [
    ("NÚÑEZ, JOSÉ MARIE", "José", "Marie", "Núñez"),
    ("Núñez, José", "José", None, "Núñez"),
    ("VAN DER BERG, ANNA", "Anna", None, "van der Berg"),
    ("  O'BRIEN ,  SEAN   PATRICK ", "Sean", "Patrick", "O'Brien"),
    ("Avery Example", "Avery", None, "Example"),
])
def test_applicant_name_gives_first_middle_and_last(cell: str, first: str, middle: str | None, last: str) -> None:
    assert split_applicant_name(cell) == (first, middle, last)


def test_an_export_with_only_applicant_name_imports_and_keeps_the_name_as_written() -> None:
    profile = only(export(["AAMC ID", "Applicant Name"], ["14100001", "NÚÑEZ, JOSÉ MARIE"]))
    assert (profile.first_name, profile.middle_name, profile.last_name) == ("José", "Marie", "Núñez")
    assert profile.sort_name == "Núñez, José"
    assert profile.exported_name == "NÚÑEZ, JOSÉ MARIE"


def test_first_and_last_name_win_over_applicant_name() -> None:
    profile = only(export(["AAMC ID", "Applicant Name", "First Name", "Middle Name", "Last Name"],
                          ["14100002", "SMITH, JON Q", "Jonathan", "", "Smith-Jones"]))
    assert (profile.first_name, profile.middle_name, profile.last_name) == ("Jonathan", None, "Smith-Jones")


def test_a_one_word_applicant_name_is_a_row_error_naming_the_cell() -> None:
    report = export(["AAMC ID", "Applicant Name"], ["14100003", "MADONNA"])
    assert [(e.row_number, e.column) for e in report.errors] == [(2, "Applicant Name")]
    assert report.rows == []


def test_no_name_columns_at_all_is_a_missing_column() -> None:
    report = export(["AAMC ID", "Medical Degree"], ["14100004", "M.D."])
    assert report.missing_required == ["First Name", "Last Name"]


# --- numbered repeats and tracks --------------------------------------------------------------------


def test_numbered_repeats_are_all_kept_in_order_whatever_the_column_order() -> None:
    profile = only(export(
        ["AAMC ID", "First Name", "Last Name", "Tracks Applied by Applicant_1", "Medical School of Graduation",
         "Tracks Applied by Applicant", "Medical School of Graduation_1", "Medical Degree", "Medical Degree_1",
         "Medical School Degree Date of Graduation", "Medical School Degree Date of Graduation_1",
         "Tracks Applied by Applicant_2"],
        ["14100005", "Rowan", "Example", PRELIMINARY, "Fictional Institute of Medical Sciences", CATEGORICAL,
         "Example State University College of Medicine", "M.B.,B.S.", "M.D.", "05/2016", "5/15/2019",
         CATEGORICAL]))
    assert profile.tracks == [CATEGORICAL, PRELIMINARY]  # each once
    assert profile.tracks_applied == [CATEGORICAL, PRELIMINARY]
    assert profile.medical_schools == ["Fictional Institute of Medical Sciences",
                                       "Example State University College of Medicine"]
    assert profile.medical_school == "Fictional Institute of Medical Sciences"
    assert profile.degrees == ["M.B.,B.S.", "M.D."] and profile.degree == "M.B.,B.S."
    assert profile.graduation_dates == [date(2016, 5, 1), date(2019, 5, 15)]
    assert profile.graduation_date == date(2016, 5, 1)


def test_soap_tracks_are_the_ones_that_count_and_the_others_stay_in_the_profile() -> None:
    header = ["AAMC ID", "First Name", "Last Name", "Tracks Applied by Applicant", "Tracks Applied by Applicant_1",
              "SOAP Track applied by Applicant", "Tracks Considered by Program", "SOAP Match Status"]
    report = export(header, ["14100006", "Sage", "Example", CATEGORICAL, PRELIMINARY, PRELIMINARY, CATEGORICAL,
                             "Unmatched"],
                    ["14100007", "Tatum", "Example", CATEGORICAL, "", "", "", ""])
    first, second = (row.profile for row in report.rows)
    assert first.tracks == [PRELIMINARY]
    assert first.tracks_applied == [CATEGORICAL, PRELIMINARY]
    assert first.tracks_considered == [CATEGORICAL]
    assert first.soap_match_status == "Unmatched"
    assert second.tracks == [CATEGORICAL]  # no SOAP track in the row: the applied ones count
    assert any("1 applicant had no SOAP track" in note for note in report.notes)


def test_known_pdws_columns_the_bot_does_not_use_are_listed_once_as_ignored() -> None:
    report = export(["AAMC ID", "First Name", "Last Name", "Higher Education Degree", "Higher Education Degree_1",
                     "ACLS", "Couples - Partner Name", "Contact Address 1", "Selected to Interview", "Count of Posters",
                     "Most Recent Application Status Date", "Shoe Size"],
                    ["14100008", "Kai", "Example", "B.S.", "M.P.H.", "Y", "", "1 Main St", "No", "2", "03/16/2027",
                     "9"])
    assert report.ignored_columns == ["Higher Education Degree", "ACLS", "Couples - Partner Name",
                                      "Contact Address 1", "Selected to Interview", "Count of Posters",
                                      "Most Recent Application Status Date"]
    assert report.unknown_columns == ["Shoe Size"]


# --- degree, graduation, exams ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "kind"), [
    ("M.D.", "MD"), ("D.O.", "DO"), ("M.B.,B.S.", "other"), ("M.B.B.Ch.", "other"), ("M.D./Ph.D.", "MD"),
    ("DO/MPH", "DO"), ("B.A./M.D.", "MD"), ("M.D.,M.P.H.", "MD"), ("MBBS", "other"), ("", None),
])
def test_degree_kind_reads_pdws_degree_values(value: str, kind: str | None) -> None:
    assert degree_kind(value) == kind


def test_a_do_combined_degree_is_a_us_do_and_the_first_school_type_decides_img() -> None:
    header = ["AAMC ID", "First Name", "Last Name", "Medical Degree Expected or Earned", "Medical School Type",
              "Citizenship"]
    report = export(header, ["14100009", "Noel", "Example", "DO/MPH", "Osteopathic School", "U.S. Citizen"],
                    ["14100010", "Quinn", "Example", "M.B.,B.S.", "International School,U.S. Public School", "India"])
    assert [degree_type(row.profile).value for row in report.rows] == ["US DO", "Non-US IMG"]


def test_step_1_status_completes_a_score_and_comlex_level_1_status_reads() -> None:
    profile = only(export(["AAMC ID", "First Name", "Last Name", "USMLE Step 1 Status", "USMLE Step 2 CK Score",
                           "COMLEX-USA Level 1 Status"],
                          ["14100011", "Reese", "Example", "Pass", "241", "Fail"]))
    assert profile.exams["USMLE Step 1"].passed is True
    assert profile.exams["USMLE Step 2 CK"].score == 241
    assert profile.exams["COMLEX Level 1"].failure_count == 1


# --- honor societies ------------------------------------------------------------------------------------


def test_both_aoa_forms_in_one_file_import_and_unknown_phrases_are_reported_not_errors() -> None:
    header = ["AAMC ID", "First Name", "Last Name", "Alpha Omega Alpha", "Alpha Omega Alpha (Yes/No)",
              "Gold Humanism Honor Society", "Sigma Sigma Phi"]
    report = export(
        header,
        ["14100012", "Avery", "Member", "Alpha Omega Alpha (Member of AOA)", "", "", ""],
        ["14100013", "Blake", "Nochapter", "No Alpha Omega Alpha (AOA) chapter at my school", "", "", ""],
        ["14100014", "Casey", "Pending", "Alpha Omega Alpha (AOA) elections held during senior year", "No", "", ""],
        ["14100015", "Devon", "Yesno", "", "Yes", "Gold Humanism Honor Society (Member of GHHS)", ""],
        ["14100016", "Emery", "Odd", "Inducted by acclamation", "", "", "Sigma Sigma Phi (Member of SSP)"],
    )
    assert report.errors == [] and len(report.rows) == 5
    profiles = [row.profile for row in report.rows]
    assert [p.aoa for p in profiles] == [True, None, False, True, None]
    assert profiles[1].honors == ["no AOA chapter at their school"]
    assert profiles[2].honors == ["AOA elections in senior year"]
    assert profiles[3].ghhs is True and profiles[4].ssp is True
    assert profiles[4].honors == ["AOA: Inducted by acclamation"]
    assert report.honor_phrases == ["Alpha Omega Alpha: 'Inducted by acclamation'"]


# --- red flags ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "value"), [
    ("Y", True), ("N", False), ("Yes", True), ("No", False), ("", None), ("No Response", None),
    ("Yes - 2019, see explanation", True),
])
def test_red_flag_answers(cell: str, value: bool | None) -> None:
    assert only(export(["AAMC ID", "First Name", "Last Name", "Felony Conviction"],
                       ["14100017", "Finley", "Example", cell])).felony is value


def test_screened_is_not_a_no() -> None:
    profile = only(export(["AAMC ID", "First Name", "Last Name", "Felony Conviction", "Misdemeanor Conviction"],
                          ["14100018", "Harper", "Example", "Screened", "N"]))
    assert profile.felony is None and profile.screened == ["felony"]


@pytest.mark.parametrize("cell", ["No - see explanation", "pending", "Maybe", "?"])
def test_a_red_flag_that_could_hide_a_yes_is_a_row_error_naming_the_cell(cell: str) -> None:
    report = export(["AAMC ID", "First Name", "Last Name", "Malpractice Cases Pending"],
                    ["14100019", "Jordan", "Example", cell])
    assert [(e.row_number, e.column) for e in report.errors] == [(2, "Malpractice Cases Pending")]
    assert "could hide a yes" in report.errors[0].reason


# --- contact and what the file could not tell -------------------------------------------------------------


def test_phones_and_email_are_read() -> None:
    profile = only(export(["AAMC ID", "First Name", "Last Name", "E-mail", "Preferred Phone", "Cell Phone #"],
                          ["14100020", "Logan", "Example", "logan@example.org", "(555) 010-0120", "(555) 010-0121"]))
    assert profile.email == "logan@example.org"
    assert profile.phones == ["(555) 010-0120", "(555) 010-0121"]


def test_the_report_names_each_rule_that_had_nothing_to_read() -> None:
    report = export(["AAMC ID", "First Name", "Last Name", "Medical School Degree Date of Graduation",
                     "Visa Sponsorship Needed"],
                    ["14100021", "Morgan", "Example", "05/2016", "No"],
                    ["14100022", "Parker", "Example", "", "No"])
    assert ("Not in this export for 1 of 2 applicants: graduation date, so the years-since-graduation rule is off "
            "for them.") in report.rules_off
    assert "Not in this export: exam results, so the exam-failures rule is off for these 2 applicants." \
        in report.rules_off
    assert not any("visa" in line for line in report.rules_off)
    # No school type, country or degree: whether they are IMGs is unknown, so the IMG rules are off
    # (not the US-clinical rule alone, as if they were known to be IMGs).
    assert [rule.key for rule in rules_without_data(report.rows[0].profile)] == [
        "exams", "recent_clinical", "school_type", "professionalism", "red_flags", "ties"]


def test_the_bench_archive_export_is_read_whole(tmp_path: Path) -> None:
    from bench.__main__ import _import_archive
    from bench.import_speed import write_archive_export

    report = read_export(write_archive_export(tmp_path / "archive.csv", 40))
    assert report.ok and len(report.rows) == 40 and report.unknown_columns == []
    assert report.rows[0].profile.exported_name == report.rows[0].profile.exported_name.upper()
    assert any(len(row.profile.tracks) == 2 for row in report.rows)
    shown = "\n".join(_import_archive({"rows": 5000, "archive_s": 1.2, "archive_rows_per_s": 4129,
                                       "archive_bare_s": 0.1, "archive_ratio": 12.0}))
    assert "archive-shape PDWS export" in shown and "4,129" in shown


def test_an_applicant_from_an_old_shape_file_hashes_as_before_so_a_reimport_says_unchanged() -> None:
    """Fields added for PDWS shapes only change the hash when they say something new."""
    import hashlib
    import json

    from bot.domain.candidates import LATER_FIELDS
    from bot.services.candidate_import import profile_hash

    tracks = "Tracks Applied by Applicant"
    profile = only(export(["AAMC ID", "First Name", "Last Name", "Degree", "Medical School Graduation Date",
                           "Medical School of Graduation", tracks, tracks],
                          ["14100023", "Rowan", "Example", "MD", "05/15/2025", "Example State University",
                           "Categorical", "Preliminary"]))
    earlier = {key: value for key, value in profile.model_dump(mode="json").items() if key not in LATER_FIELDS}
    text = json.dumps(earlier, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert profile_hash(profile) == hashlib.sha256(text.encode()).hexdigest()
    two_schools = profile.model_copy(update={"medical_schools": ["Example State University", "Another"]})
    assert profile_hash(two_schools) != profile_hash(profile)


def test_the_same_track_written_with_other_spacing_is_kept_once() -> None:
    profile = only(export(["AAMC ID", "First Name", "Last Name", "Tracks Applied by Applicant",
                           "Tracks Applied by Applicant_1"],
                          ["14100024", "Sage", "Example", CATEGORICAL, CATEGORICAL.replace(" (", "  (")]))
    assert profile.tracks == [CATEGORICAL]
