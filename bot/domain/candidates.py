"""Candidates: what one ERAS export row says about an applicant, plus what the committee knows.

Pure domain code: no Slack, no database. ``ApplicantProfile`` is stored as JSON by the storage layer,
so it must round-trip through ``model_dump(mode="json")`` / ``model_validate``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

# --------------------------------------------------------------------------------------------------
# Exams

USMLE_STEP_1 = "USMLE Step 1"
USMLE_STEP_2_CK = "USMLE Step 2 CK"
USMLE_STEP_2_CS = "USMLE Step 2 CS"
USMLE_STEP_3 = "USMLE Step 3"
COMLEX_LEVEL_1 = "COMLEX Level 1"
COMLEX_LEVEL_2_CE = "COMLEX Level 2 CE"
COMLEX_LEVEL_2_PE = "COMLEX Level 2 PE"
COMLEX_LEVEL_3 = "COMLEX Level 3"

#: Exam names a profile may hold, in display order. Step 2 CS and Level 2 PE are discontinued
#: pass/fail exams; older applicants still carry them and a failure there is still a failure.
EXAM_NAMES: tuple[str, ...] = (
    USMLE_STEP_1,
    USMLE_STEP_2_CK,
    USMLE_STEP_2_CS,
    USMLE_STEP_3,
    COMLEX_LEVEL_1,
    COMLEX_LEVEL_2_CE,
    COMLEX_LEVEL_2_PE,
    COMLEX_LEVEL_3,
)


class ExamResult(BaseModel):
    """One licensing exam as the export shows it.

    ``score`` is the 3-digit score when there is one; ``passed`` is True/False for Pass/Fail results
    (None when only a score is known); ``attempts`` is the number of attempts when known;
    ``failures`` the number of failed attempts the export states.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    score: Annotated[int, Field(ge=1, le=999)] | None = None
    passed: bool | None = None
    attempts: Annotated[int, Field(ge=0, le=20)] | None = None
    failures: Annotated[int, Field(ge=0, le=20)] = 0

    @property
    def failure_count(self) -> int:
        """Failed attempts, inferred as far as the data allows.

        The largest of: the stated failures; ``attempts`` when the exam is still not passed;
        ``attempts - 1`` when it was passed in the end; 1 when the latest result is a Fail.
        """
        inferred = self.failures
        if self.passed is False:
            inferred = max(inferred, 1, self.attempts or 0)
        elif self.passed is True and self.attempts:
            inferred = max(inferred, self.attempts - 1)
        return inferred

    @property
    def attempt_count(self) -> int:
        """Attempts, inferred: stated attempts, else failures (+1 if there is a pass or a score)."""
        if self.attempts is not None:
            return max(self.attempts, self.failure_count)
        taken = self.score is not None or self.passed is not None
        return self.failure_count + (1 if (taken and self.passed is not False) else 0)


# --------------------------------------------------------------------------------------------------
# US states

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip

CANADIAN_PROVINCES: dict[str, str] = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}  # fmt: skip

_REGION_BY_NAME: dict[str, str] = {
    re.sub(r"[^a-z]", "", name.lower()): code for code, name in (US_STATES | CANADIAN_PROVINCES).items()
}
_REGION_BY_NAME["virginislands"] = "VI"
_REGION_BY_NAME["washingtondc"] = "DC"


@functools.lru_cache(maxsize=1024)
def normalize_state(value: str | None) -> str | None:
    """Return the 2-letter code for a US state / territory / Canadian province, else None.

    Accepts codes in any case ("oh"), full names ("Ohio", "new york") and "Washington, D.C.".
    Anything else (a foreign region, a typo) gives None: it is not a US/Canadian location we can use.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    code = text.upper().replace(".", "")
    if code in US_STATES or code in CANADIAN_PROVINCES:
        return code
    return _REGION_BY_NAME.get(re.sub(r"[^a-z]", "", text.lower()))


# --------------------------------------------------------------------------------------------------
# The profile


_STATE_CODE = re.compile(r"^[A-Z]{2}$")


class ApplicantProfile(BaseModel):
    """The data imported from one ERAS export row (all optional except AAMC ID and names).

    Repeated export fields (`Tracks Applied by Applicant`, `_1`, `_2`…; schools, degrees and
    graduation dates: ../shared/DOMAIN.md §4) are kept whole and in order in the list fields; the
    single fields (``medical_school``, ``degree``, ``graduation_date``) hold the first of each,
    the school the applicant graduated (or will graduate) from, which triage and the card use.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    aamc_id: str
    first_name: str
    last_name: str
    middle_name: str | None = None
    exported_name: str | None = None
    """The name as the export wrote it (`NÚÑEZ, JOSÉ`) when it is shown differently: searchable."""
    email: str | None = None
    preferred_phone: str | None = None
    cell_phone: str | None = None
    medical_school: str | None = None
    medical_schools: list[str] = Field(default_factory=list)
    school_country: str | None = None
    school_state: str | None = None
    school_type: str | None = None
    graduation_date: date | None = None
    graduation_dates: list[date] = Field(default_factory=list)
    degree: str | None = None
    degrees: list[str] = Field(default_factory=list)
    exams: dict[str, ExamResult] = Field(default_factory=dict)
    ecfmg_certified: bool | None = None
    citizenship: str | None = None
    visa_needed: bool | None = None
    current_visa: str | None = None
    expected_visa: str | None = None
    us_or_canadian: bool | None = None
    training_interrupted: bool | None = None
    misdemeanor: bool | None = None
    felony: bool | None = None
    malpractice_pending: bool | None = None
    licensure_problem: bool | None = None
    screened: list[str] = Field(default_factory=list)
    """Red-flag fields the export answered `Screened` (not a No: the card says so)."""
    aoa: bool | None = None
    ghhs: bool | None = None
    ssp: bool | None = None
    honors: list[str] = Field(default_factory=list)
    """What the honor-society cells said besides Yes/No ("no AOA chapter at their school")."""
    permanent_state: str | None = None
    contact_state: str | None = None
    tracks: list[str] = Field(default_factory=list)
    """The tracks that count for the preference lists: the SOAP tracks when the export has them,
    otherwise every applied track; raw ERAS values (`Internal Medicine|1234140C0 (Categorical)`)."""
    tracks_applied: list[str] = Field(default_factory=list)
    tracks_considered: list[str] = Field(default_factory=list)
    soap_match_status: str | None = None
    us_clinical_months: Annotated[int, Field(ge=0, le=1200)] | None = None
    recent_clinical_months: Annotated[int, Field(ge=0, le=1200)] | None = None
    professionalism_concern: bool | None = None

    @field_validator("aamc_id")
    @classmethod
    def _aamc_id_8_digits(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9]{8}", value):
            raise ValueError(f"AAMC ID must be exactly 8 digits, got {value!r}")
        return value

    @field_validator("first_name", "last_name")
    @classmethod
    def _name_not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("permanent_state", "contact_state")
    @classmethod
    def _two_letter_state(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.upper()
        if not _STATE_CODE.fullmatch(code):
            raise ValueError(f"expected a 2-letter state code, got {value!r}")
        return code

    @field_validator("exams")
    @classmethod
    def _known_exams(cls, value: dict[str, ExamResult]) -> dict[str, ExamResult]:
        unknown = sorted(set(value) - set(EXAM_NAMES))
        if unknown:
            raise ValueError(f"unknown exam name(s) {unknown}; known: {list(EXAM_NAMES)}")
        return value

    @property
    def full_name(self) -> str:
        """The name as a person writes it: "First Middle Last"."""
        parts = [self.first_name, self.middle_name or "", self.last_name]
        return " ".join(part for part in parts if part)

    @property
    def sort_name(self) -> str:
        """The name for sorted lists: "Last, First"."""
        return f"{self.last_name}, {self.first_name}"

    @property
    def phones(self) -> list[str]:
        """The phone numbers to call, preferred first, each once."""
        found: list[str] = []
        for phone in (self.preferred_phone, self.cell_phone):
            if phone and phone not in found:
                found.append(phone)
        return found


#: Fields added after profiles were first stored: left out of the hash while empty, so a profile
#: stored before them still hashes the same and a re-import reports it unchanged.
LATER_FIELDS: frozenset[str] = frozenset({
    "exported_name", "preferred_phone", "cell_phone", "medical_schools", "graduation_dates", "degrees",
    "screened", "ssp", "honors", "tracks_applied", "tracks_considered", "soap_match_status",
})


# --------------------------------------------------------------------------------------------------
# What the committee knows (not in the export)


@dataclasses.dataclass(frozen=True, slots=True)
class Connections:
    """What the committee knows about an applicant that ERAS does not hold."""

    home_student: bool = False
    rotated_here: bool = False
    interviewed: bool = False
    prior_contact: bool = False
    prelim_here: bool = False
    strong_letters: bool = False

    def labels(self) -> list[str]:
        """Human labels of the set flags, in field order ("home student", "rotated here", ...)."""
        return [CONNECTION_LABELS[f.name] for f in dataclasses.fields(self) if getattr(self, f.name)]

    @property
    def known_to_program(self) -> bool:
        """Home student, rotated here, interviewed, prior contact or a known prelim resident."""
        return self.home_student or self.rotated_here or self.interviewed or self.prior_contact or self.prelim_here


CONNECTION_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Connections))

CONNECTION_LABELS: dict[str, str] = {
    "home_student": "home student",
    "rotated_here": "rotated here",
    "interviewed": "interviewed with us",
    "prior_contact": "prior contact",
    "prelim_here": "prelim resident here",
    "strong_letters": "strong letters",
}

#: The words the committee types after ``/soap flag <id>``, mapped to ``Connections`` field names.
#: The first six are the documented words; the rest are forgiving aliases.
FLAG_WORDS: dict[str, str] = {
    "rotated": "rotated_here",
    "interviewed": "interviewed",
    "home": "home_student",
    "contact": "prior_contact",
    "prelim": "prelim_here",
    "letters": "strong_letters",
    # aliases
    "rotation": "rotated_here",
    "rotated-here": "rotated_here",
    "audition": "rotated_here",
    "away": "rotated_here",
    "interview": "interviewed",
    "home-student": "home_student",
    "homestudent": "home_student",
    "prior-contact": "prior_contact",
    "prior": "prior_contact",
    "preliminary": "prelim_here",
    "letter": "strong_letters",
    "strong-letters": "strong_letters",
    "lor": "strong_letters",
}

#: The documented flag words, for help texts.
PRIMARY_FLAG_WORDS: tuple[str, ...] = ("rotated", "interviewed", "home", "contact", "prelim", "letters")


class UnknownFlagError(ValueError):
    """A flag word the bot does not know; the message lists the accepted words."""


def flag_field(word: str) -> str:
    """Map a typed flag word (any case, ``_`` or ``-``) to a ``Connections`` field name."""
    key = word.strip().lower().replace("_", "-")
    field = FLAG_WORDS.get(key) or FLAG_WORDS.get(key.replace("-", ""))
    if field is None:
        raise UnknownFlagError(f"unknown flag {word!r}; use one of: {', '.join(PRIMARY_FLAG_WORDS)}")
    return field


def apply_flag(connections: Connections, word: str, value: bool = True) -> Connections:
    """Return a new ``Connections`` with the flag named by ``word`` set to ``value``."""
    return dataclasses.replace(connections, **{flag_field(word): value})


# --------------------------------------------------------------------------------------------------
# Degree type


class DegreeType(StrEnum):
    US_MD = "US MD"
    US_DO = "US DO"
    US_IMG = "US IMG"
    NON_US_IMG = "Non-US IMG"

    @property
    def label(self) -> str:
        return self.value

    @property
    def is_img(self) -> bool:
        return self in (DegreeType.US_IMG, DegreeType.NON_US_IMG)


_US_COUNTRY = {"unitedstates", "unitedstatesofamerica", "us", "usa", "america"}
_CANADA = {"canada", "ca", "can"}


@functools.lru_cache(maxsize=4096)  # schools, countries, visas repeat across hundreds of applicants
def _key(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def _first_school_type(profile: ApplicantProfile) -> str | None:
    """The type of the first school: PDWS joins one type per school with commas, in the order of
    the schools (`International School,U.S. Public School`, ../shared/DOMAIN.md §4), and the first
    school is the one the applicant graduated (or will graduate) from."""
    return (profile.school_type or "").split(",")[0] or None


def _school_location(profile: ApplicantProfile) -> str | None:
    """Return "us_ca" for a US/Canadian school, "intl" for an international one, None if unknown."""
    school_type = _key(_first_school_type(profile))
    if school_type:
        if "osteopathic" in school_type:
            return "us_ca"
        if "international" in school_type or "foreign" in school_type:
            return "intl"
        if school_type.startswith(("us", "canadian")):
            return "us_ca"
    country = _key(profile.school_country)
    if country:
        return "us_ca" if (country in _US_COUNTRY or country in _CANADA) else "intl"
    return None


def is_us_citizen_or_resident(profile: ApplicantProfile) -> bool | None:
    """From the citizenship text ("U.S. Citizen", "Permanent Resident", ...); None if not stated."""
    citizenship = _key(profile.citizenship)
    if not citizenship:
        return None
    markers = ("uscitizen", "unitedstates", "permanentresident", "greencard", "usnational", "american")
    return any(marker in citizenship for marker in markers)


_DEGREE_SPLIT = re.compile(r"[/,;&+]|\s+|\band\b")


@functools.lru_cache(maxsize=1024)
def degree_kind(text: str | None) -> str | None:
    """"DO", "MD" or "other" for a degree as ERAS writes it, None when there is none.

    PDWS values (../shared/DOMAIN.md §4): `M.D.`, `D.O.`, `M.B.,B.S.`, `M.B.B.Ch.`, `M.D./Ph.D.`,
    `DO/MPH`, `B.A./M.D.`, several joined by commas. A combined degree counts by its medical part.
    """
    parts = {re.sub(r"[^a-z]", "", part.lower()) for part in _DEGREE_SPLIT.split(text or "")}
    parts.discard("")
    if not parts:
        return None
    if "do" in parts:
        return "DO"
    if "md" in parts:
        return "MD"
    return "other"


def degree_type(profile: ApplicantProfile) -> DegreeType | None:
    """US MD / US DO / US IMG / Non-US IMG, or None when the export does not tell.

    - DO degree, an osteopathic school, or COMLEX results (only osteopathic students sit COMLEX,
      NBOME) → US DO.
    - A US or Canadian (LCME) school → US MD (Canadian MDs match like US MDs).
    - An international school, or a degree no US school grants (M.B.,B.S.…) → US IMG when the
      citizenship text says US citizen / permanent resident (or, with no citizenship, "US or Canadian
      Applicant" is Yes), else Non-US IMG.
    - No school type or country in the file: an MD with "US or Canadian Applicant" = Yes is a US MD,
      one with No an IMG; with none of these the applicant is unknown. Some real PDWS field lists hold
      no school type, country or degree (../shared/DOMAIN.md §4), and calling such a graduate an IMG
      would assert what the export never said.
    """
    degree = degree_kind(profile.degree)
    location = _school_location(profile)
    if degree == "DO" or (location == "us_ca" and "osteopathic" in _key(_first_school_type(profile))):
        return DegreeType.US_DO
    if degree is None and location is None and any(name.startswith("COMLEX") for name in profile.exams):
        return DegreeType.US_DO
    if location == "us_ca":
        return DegreeType.US_MD
    if location is None and degree in ("MD", None) and profile.us_or_canadian is True:
        return DegreeType.US_MD
    if location is None and degree != "other" and profile.us_or_canadian is None:
        return None
    citizen = is_us_citizen_or_resident(profile)
    if citizen is None:
        citizen = profile.us_or_canadian is True
    return DegreeType.US_IMG if citizen else DegreeType.NON_US_IMG


def is_img(profile: ApplicantProfile) -> bool:
    """An IMG as far as the export tells: an applicant of unknown school type is not taken for one."""
    kind = degree_type(profile)
    return kind is not None and kind.is_img


# --------------------------------------------------------------------------------------------------
# Derived facts


def graduation_year(profile: ApplicantProfile) -> int | None:
    return profile.graduation_date.year if profile.graduation_date else None


def years_since_graduation(profile: ApplicantProfile, today: date) -> int | None:
    """Whole years since the graduation date (0 for future dates); None if not known."""
    grad = profile.graduation_date
    if grad is None:
        return None
    years = today.year - grad.year - ((today.month, today.day) < (grad.month, grad.day))
    return max(years, 0)


def exam_failures(profile: ApplicantProfile) -> int:
    """Total failed attempts over all exams (see ``ExamResult.failure_count``)."""
    return sum(result.failure_count for result in profile.exams.values())


def exam_attempts(profile: ApplicantProfile) -> int:
    """Total attempts over all exams (see ``ExamResult.attempt_count``)."""
    return sum(result.attempt_count for result in profile.exams.values())


#: (profile field, the words a PD uses), in the order they are listed.
RED_FLAG_FIELDS: tuple[tuple[str, str], ...] = (
    ("felony", "felony conviction"),
    ("misdemeanor", "misdemeanor conviction"),
    ("malpractice_pending", "malpractice case pending"),
    ("licensure_problem", "licensure problem"),
    ("training_interrupted", "training interrupted"),
    ("professionalism_concern", "professionalism concern"),
)


def red_flags(profile: ApplicantProfile) -> list[str]:
    """The red flags answered Yes, in a PD's words ("felony conviction", ...)."""
    return [words for field, words in RED_FLAG_FIELDS if getattr(profile, field) is True]


def screened_flags(profile: ApplicantProfile) -> list[str]:
    """The red flags the export answered `Screened`, in a PD's words."""
    return [words for field, words in RED_FLAG_FIELDS if field in profile.screened]


_HONOR_SOCIETIES: tuple[tuple[str, str], ...] = (("aoa", "AOA"), ("ghhs", "GHHS"), ("ssp", "Sigma Sigma Phi"))


def honor_labels(profile: ApplicantProfile) -> list[str]:
    """Honor societies the applicant is a member of ("AOA"), then what else the export said of them."""
    return [label for field, label in _HONOR_SOCIETIES if getattr(profile, field) is True] + list(profile.honors)


def states(profile: ApplicantProfile) -> set[str]:
    """2-letter codes of the permanent, contact and medical-school states that are known."""
    found = {profile.permanent_state, profile.contact_state, normalize_state(profile.school_state)}
    return {state for state in found if state}


def ties_to_region(profile: ApplicantProfile, home_states: Iterable[str]) -> list[str]:
    """Reasons the applicant is likely to stay: e.g. ["permanent address in OH", "medical school in PA"]."""
    home = {state.strip().upper() for state in home_states if state.strip()}
    if not home:
        return []
    reasons: list[str] = []
    if profile.permanent_state in home:
        reasons.append(f"permanent address in {profile.permanent_state}")
    if profile.contact_state in home and profile.contact_state != profile.permanent_state:
        reasons.append(f"lives in {profile.contact_state}")
    school_state = normalize_state(profile.school_state)
    if school_state in home:
        reasons.append(f"medical school in {school_state}")
    return reasons


_VISA_PATTERNS: tuple[tuple[str, str], ...] = (("j1", "J-1"), ("h1b", "H-1B"))


@functools.lru_cache(maxsize=1024)
def normalize_visa(text: str | None) -> str | None:
    """Return "J-1" or "H-1B" when the text names one of them ("J1", "h-1b visa"), else None."""
    key = _key(text)
    for pattern, visa in _VISA_PATTERNS:
        if pattern in key:
            return visa
    return None


def visa_need(profile: ApplicantProfile) -> tuple[bool, str | None]:
    """(needs a visa?, which one: "J-1", "H-1B" or None when not known).

    Needs a visa when "Visa Sponsorship Needed" is Yes, or it is not answered and the expected visa
    is J-1 or H-1B. The visa type is the expected visa, else the current visa.
    """
    kind = normalize_visa(profile.expected_visa) or normalize_visa(profile.current_visa)
    if profile.visa_needed is True:
        return True, kind
    if profile.visa_needed is None and normalize_visa(profile.expected_visa):
        return True, normalize_visa(profile.expected_visa)
    return False, None
