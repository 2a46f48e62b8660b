"""The columns of an ERAS (PDWS) export the bot reads: canonical headers, their aliases, and what
kind of value each holds (../shared/DOMAIN.md §4 for the real export's names; docs/import.md for
the list a coordinator reads)."""

from __future__ import annotations

import dataclasses
import enum
import re

from bot.domain.candidates import (
    COMLEX_LEVEL_1,
    COMLEX_LEVEL_2_CE,
    COMLEX_LEVEL_2_PE,
    COMLEX_LEVEL_3,
    USMLE_STEP_1,
    USMLE_STEP_2_CK,
    USMLE_STEP_2_CS,
    USMLE_STEP_3,
)


class ColumnKind(enum.StrEnum):
    """What a column's cells hold, which decides how a cell is read and where its value goes."""

    AAMC = "aamc"
    """The applicant's 8-digit AAMC ID."""
    APPLICANT_NAME = "applicant_name"
    """`LAST, FIRST MIDDLE` in one cell."""
    NAME = "name"
    """A first or last name, read literally ("Na" and "None" are real surnames)."""
    TEXT = "text"
    LIST = "list"
    """One value of a repeated field (schools, degrees, tracks): every filled cell is kept."""
    DATE_LIST = "date_list"
    BOOL = "bool"
    BOOL_OR_DATE = "bool_or_date"
    """Yes/No, or a date that means Yes (ECFMG Certification Received)."""
    RED_FLAG = "red_flag"
    """Y/N/Screened: anything else could hide a yes."""
    HONOR = "honor"
    STATE = "state"
    MONTHS = "months"
    FLAG = "flag"
    """A connection flag the file sets (Home Student, Rotated Here...), not a profile field."""
    EXAM = "exam"
    EXAM_ATTEMPTS = "exam_attempts"
    EXAM_FAILURES = "exam_failures"


#: Kinds whose every cell is kept (repeated and `_N` columns), rather than the first filled one.
MANY_KINDS = frozenset({ColumnKind.LIST, ColumnKind.DATE_LIST, ColumnKind.HONOR})
EXAM_KINDS = frozenset({ColumnKind.EXAM, ColumnKind.EXAM_ATTEMPTS, ColumnKind.EXAM_FAILURES})


def normalize_header(text: str) -> str:
    """Lowercase and drop everything but letters and digits: "Medical School State/Province" →
    "medicalschoolstateprovince"."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    header: str  # canonical header as documented
    kind: ColumnKind
    target: str  # profile field, exam name or connections field


_EXAMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # exam name, canonical header stem, extra stems
    (USMLE_STEP_1, "USMLE Step 1", ("Step 1",)),
    (USMLE_STEP_2_CK, "USMLE Step 2 CK", ("Step 2 CK", "USMLE Step 2")),
    (USMLE_STEP_2_CS, "USMLE Step 2 CS", ("Step 2 CS",)),
    (USMLE_STEP_3, "USMLE Step 3", ("Step 3",)),
    (COMLEX_LEVEL_1, "COMLEX-USA Level 1", ("COMLEX Level 1", "Level 1")),
    (COMLEX_LEVEL_2_CE, "COMLEX-USA Level 2 CE", ("COMLEX Level 2 CE", "Level 2 CE", "COMLEX Level 2")),
    (COMLEX_LEVEL_2_PE, "COMLEX-USA Level 2 PE", ("COMLEX Level 2 PE", "Level 2 PE")),
    (COMLEX_LEVEL_3, "COMLEX-USA Level 3", ("COMLEX Level 3", "Level 3")),
)


def _build_columns() -> tuple[dict[str, Column], dict[str, str]]:
    # The real PDWS names first (../shared/DOMAIN.md §4); older and third-party names are aliases.
    columns: list[Column] = [
        Column("AAMC ID", ColumnKind.AAMC, "aamc_id"),
        Column("Applicant Name", ColumnKind.APPLICANT_NAME, "exported_name"),
        Column("First Name", ColumnKind.NAME, "first_name"),
        Column("Middle Name", ColumnKind.TEXT, "middle_name"),
        Column("Last Name", ColumnKind.NAME, "last_name"),
        Column("E-mail", ColumnKind.TEXT, "email"),
        Column("Preferred Email", ColumnKind.TEXT, "email"),
        Column("Preferred Phone", ColumnKind.TEXT, "preferred_phone"),
        Column("Cell Phone #", ColumnKind.TEXT, "cell_phone"),
        Column("Medical School of Graduation", ColumnKind.LIST, "medical_schools"),
        Column("Most Recent Medical School", ColumnKind.LIST, "recent_schools"),
        Column("Medical School Country", ColumnKind.TEXT, "school_country"),
        Column("Medical School State/Province", ColumnKind.TEXT, "school_state"),
        Column("Medical School Type", ColumnKind.TEXT, "school_type"),
        Column("Medical Degree", ColumnKind.LIST, "degrees"),
        Column("Medical School Degree Date of Graduation", ColumnKind.DATE_LIST, "graduation_dates"),
        Column("ECFMG Certified", ColumnKind.BOOL, "ecfmg_certified"),
        Column("ECFMG Certification Received", ColumnKind.BOOL_OR_DATE, "ecfmg_certified"),
        Column("Citizenship", ColumnKind.TEXT, "citizenship"),
        Column("Visa Sponsorship Needed", ColumnKind.BOOL, "visa_needed"),
        Column("Current Visa Status", ColumnKind.TEXT, "current_visa"),
        Column("Expected Visa Status", ColumnKind.TEXT, "expected_visa"),
        Column("US or Canadian Applicant", ColumnKind.BOOL, "us_or_canadian"),
        Column("Medical Education or Training Interrupted", ColumnKind.RED_FLAG, "training_interrupted"),
        Column("Misdemeanor Conviction", ColumnKind.RED_FLAG, "misdemeanor"),
        Column("Felony Conviction", ColumnKind.RED_FLAG, "felony"),
        Column("Malpractice Cases Pending", ColumnKind.RED_FLAG, "malpractice_pending"),
        Column("Medical Licensure Problem", ColumnKind.RED_FLAG, "licensure_problem"),
        Column("Alpha Omega Alpha", ColumnKind.HONOR, "aoa"),
        Column("Alpha Omega Alpha (Yes/No)", ColumnKind.HONOR, "aoa"),
        Column("Gold Humanism Honor Society", ColumnKind.HONOR, "ghhs"),
        Column("Gold Humanism Honor Society (Yes/No)", ColumnKind.HONOR, "ghhs"),
        Column("Sigma Sigma Phi", ColumnKind.HONOR, "ssp"),
        Column("Sigma Sigma Phi (Yes/No)", ColumnKind.HONOR, "ssp"),
        Column("Permanent State", ColumnKind.STATE, "permanent_state"),
        Column("Contact State", ColumnKind.STATE, "contact_state"),
        Column("Tracks Applied by Applicant", ColumnKind.LIST, "tracks_applied"),
        Column("SOAP Track applied by Applicant", ColumnKind.LIST, "soap_tracks"),
        Column("Tracks Considered by Program", ColumnKind.LIST, "tracks_considered"),
        Column("SOAP Match Status", ColumnKind.TEXT, "soap_match_status"),
        # our template's extra columns
        Column("US Clinical Experience (months)", ColumnKind.MONTHS, "us_clinical_months"),
        Column("Recent Clinical Experience (months)", ColumnKind.MONTHS, "recent_clinical_months"),
        Column("Professionalism Concern", ColumnKind.RED_FLAG, "professionalism_concern"),
        Column("Home Student", ColumnKind.FLAG, "home_student"),
        Column("Rotated Here", ColumnKind.FLAG, "rotated_here"),
        Column("Interviewed", ColumnKind.FLAG, "interviewed"),
        Column("Prior Contact", ColumnKind.FLAG, "prior_contact"),
        Column("Prelim Here", ColumnKind.FLAG, "prelim_here"),
        Column("Strong Letters", ColumnKind.FLAG, "strong_letters"),
    ]
    aliases: dict[str, str] = {
        "AAMC Number": "AAMC ID",
        "AAMCID": "AAMC ID",
        "Name": "Applicant Name",
        "Email": "Preferred Email",
        "Email Address": "Preferred Email",
        "Cell Phone": "Cell Phone #",
        "Mobile Phone": "Cell Phone #",
        "Medical School": "Medical School of Graduation",
        "Medical School Name": "Medical School of Graduation",
        "Medical School State": "Medical School State/Province",
        "Medical Degree Expected or Earned": "Medical Degree",
        # a third-party tool's names, not PDWS ones (DOMAIN.md §4)
        "Degree": "Medical Degree",
        "Medical School Graduation Date": "Medical School Degree Date of Graduation",
        "Graduation Date": "Medical School Degree Date of Graduation",
        "AOA": "Alpha Omega Alpha (Yes/No)",
        "GHHS": "Gold Humanism Honor Society (Yes/No)",
        "Tracks": "Tracks Applied by Applicant",
        "Track": "Tracks Applied by Applicant",
        "SOAP Tracks Applied by Applicant": "SOAP Track applied by Applicant",
        "US Clinical Experience": "US Clinical Experience (months)",
        "USCE Months": "US Clinical Experience (months)",
        "USCE": "US Clinical Experience (months)",
        "Recent Clinical Experience": "Recent Clinical Experience (months)",
        "Recent Clinical Months": "Recent Clinical Experience (months)",
        "Professionalism": "Professionalism Concern",
        "Rotated": "Rotated Here",
        "Prelim": "Prelim Here",
        "Strong Letter": "Strong Letters",
        "Visa Sponsorship Need": "Visa Sponsorship Needed",
    }
    for exam, stem, extra in _EXAMS:
        score = f"{stem} Score"
        columns += [
            Column(score, ColumnKind.EXAM, exam),
            Column(f"{stem} Attempts", ColumnKind.EXAM_ATTEMPTS, exam),
            Column(f"{stem} Failures", ColumnKind.EXAM_FAILURES, exam),
        ]
        if exam in (USMLE_STEP_1, COMLEX_LEVEL_1):  # pass/fail since 2022: newer exports add a Status column
            columns.append(Column(f"{stem} Status", ColumnKind.EXAM, exam))
        for other in (exam, *extra):
            aliases.setdefault(f"{other} Score", score)
            aliases.setdefault(other, score)
            aliases.setdefault(f"{other} Attempts", f"{stem} Attempts")
            aliases.setdefault(f"{other} Failures", f"{stem} Failures")
            if exam in (USMLE_STEP_1, COMLEX_LEVEL_1):
                aliases.setdefault(f"{other} Status", f"{stem} Status")
    by_header = {column.header: column for column in columns}
    by_key = {normalize_header(column.header): column.header for column in columns}
    for alias, header in aliases.items():
        by_key.setdefault(normalize_header(alias), header)
    return by_header, by_key


COLUMNS, HEADER_BY_KEY = _build_columns()
#: Every canonical header the bot reads, in documentation order.
CANONICAL_HEADERS: tuple[str, ...] = tuple(COLUMNS)
#: An export names its applicants either way (or both; the separate names win).
NAME_HEADERS: tuple[str, ...] = ("First Name", "Last Name")
REQUIRED_HEADERS: tuple[str, ...] = ("AAMC ID", *NAME_HEADERS)

#: Known PDWS columns the bot does not read (../shared/DOMAIN.md §4): listed once as ignored, not as
#: unknown. Gender, date of birth and self-identification are never read so they cannot influence triage.
IGNORED_HEADERS: tuple[str, ...] = (
    "Board Certification",
    "Military Service Obligation",
    "Participating as a Couple in NRMP",
    "Couples - Partner Name",
    "Self Identify",
    "Gender",
    "Date of Birth",
    "Limiting Factors",
    "Hobbies and Interests",
    "ACLS",
    "BLS",
    "PALS",
    "MSPE Received",
    "Medical School Transcript Received",
    "Personal Statement Received",
    "Photo",
    "Complete Application Date",
    "Medical School Attendance Dates",
    "Higher Education Degree",
    "Higher Education Institution",
    "Contact City",
    "Contact Zip",
    "Contact Country",
    "Permanent City",
    "Permanent Zip",
    "Permanent Country",
    "Total Interview Score",
    "Selected to Interview",
    "Most Recent Application Status",
    "Most Recent Application Status Date",
    "Application Status",
    "Interview Date",
    "Interview Status",
    "Present Position",
    "Medical School Degree",
)
IGNORED_KEYS = frozenset({normalize_header(header) for header in IGNORED_HEADERS})
IGNORED_PREFIXES = ("countof", "contactaddress", "permanentaddress", "explanationof", "interview",
                    "applicationstatus", "previousresidency", "couples")


def canonical_header(text: str) -> str | None:
    """The canonical header a file header (or alias) means, or None if unknown."""
    return HEADER_BY_KEY.get(normalize_header(text))
