from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.domain.candidates import (
    EXAM_NAMES,
    FLAG_WORDS,
    ApplicantProfile,
    Connections,
    DegreeType,
    ExamResult,
    UnknownFlagError,
    apply_flag,
    degree_type,
    exam_attempts,
    exam_failures,
    graduation_year,
    normalize_state,
    red_flags,
    states,
    ties_to_region,
    visa_need,
    years_since_graduation,
)
from bot.domain.find_words import MAX_FIND_WORDS, FindWordsError, parse_find


def profile(**fields: object) -> ApplicantProfile:
    base: dict[str, object] = {"aamc_id": "10000001", "first_name": "Testa", "last_name": "Example"}
    return ApplicantProfile.model_validate(base | fields)


# ---------------------------------------------------------------------------------------------------
# Profile validation and storage round-trip

optional_bool = st.none() | st.booleans()
optional_text = st.none() | st.text(min_size=1, max_size=20).map(str.strip).filter(bool)
exam_results = st.builds(
    ExamResult,
    score=st.none() | st.integers(1, 300),
    passed=optional_bool,
    attempts=st.none() | st.integers(0, 5),
    failures=st.integers(0, 5),
)
profiles = st.builds(
    ApplicantProfile,
    aamc_id=st.from_regex(r"[0-9]{8}", fullmatch=True),
    first_name=st.text(min_size=1, max_size=15).map(str.strip).filter(bool),
    last_name=st.text(min_size=1, max_size=15).map(str.strip).filter(bool),
    middle_name=optional_text,
    school_type=st.none() | st.sampled_from(["U.S. Public School", "Osteopathic School", "International School"]),
    school_country=st.none() | st.sampled_from(["United States", "India", "Canada", "Grenada"]),
    graduation_date=st.none() | st.dates(date(1970, 1, 1), date(2030, 12, 31)),
    degree=st.none() | st.sampled_from(["MD", "DO", "MBBS"]),
    exams=st.dictionaries(st.sampled_from(EXAM_NAMES), exam_results, max_size=4),
    citizenship=st.none() | st.sampled_from(["U.S. Citizen", "Permanent Resident", "Other"]),
    visa_needed=optional_bool,
    expected_visa=st.none() | st.sampled_from(["J-1", "H-1B", "F-1"]),
    felony=optional_bool,
    misdemeanor=optional_bool,
    professionalism_concern=optional_bool,
    permanent_state=st.none() | st.sampled_from(["OH", "PA", "TX"]),
    tracks=st.lists(st.sampled_from(["Categorical", "Preliminary"]), max_size=2),
    us_clinical_months=st.none() | st.integers(0, 60),
    recent_clinical_months=st.none() | st.integers(0, 24),
)


@given(profiles)
def test_profile_round_trips_through_json_storage(p: ApplicantProfile) -> None:
    stored = p.model_dump(mode="json")
    assert ApplicantProfile.model_validate(stored) == p


@pytest.mark.parametrize("bad", ["1234567", "123456789", "1234567a", "", "１２３４５６７８"])
def test_aamc_id_must_be_exactly_8_ascii_digits(bad: str) -> None:
    with pytest.raises(ValidationError, match="AAMC ID"):
        profile(aamc_id=bad)


def test_names_are_required_and_not_blank() -> None:
    with pytest.raises(ValidationError):
        ApplicantProfile.model_validate({"aamc_id": "10000001", "first_name": "Testa"})
    with pytest.raises(ValidationError):
        profile(last_name="   ")


def test_unknown_exam_name_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown exam"):
        profile(exams={"USMLE Step 9": {"score": 200}})


def test_state_codes_are_uppercased_and_must_be_two_letters() -> None:
    assert profile(permanent_state="oh").permanent_state == "OH"
    with pytest.raises(ValidationError):
        profile(contact_state="Ohio")


def test_profile_is_frozen() -> None:
    p = profile()
    with pytest.raises(ValidationError):
        p.first_name = "Other"  # type: ignore[misc]


def test_full_and_sort_name() -> None:
    p = profile(middle_name="Q")
    assert p.full_name == "Testa Q Example"
    assert p.sort_name == "Example, Testa"


# ---------------------------------------------------------------------------------------------------
# Degree type


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"school_type": "U.S. Public School", "degree": "MD"}, DegreeType.US_MD),
        ({"school_type": "U.S. Private School"}, DegreeType.US_MD),
        ({"school_country": "Canada", "degree": "MD"}, DegreeType.US_MD),
        ({"school_type": "Osteopathic School"}, DegreeType.US_DO),
        ({"degree": "DO"}, DegreeType.US_DO),
        ({"school_type": "International School", "citizenship": "U.S. Citizen"}, DegreeType.US_IMG),
        ({"school_country": "Grenada", "citizenship": "Permanent Resident"}, DegreeType.US_IMG),
        ({"school_country": "India", "degree": "MBBS", "citizenship": "India"}, DegreeType.NON_US_IMG),
        ({"school_type": "International School", "us_or_canadian": True}, DegreeType.US_IMG),
        ({"school_type": "International School"}, DegreeType.NON_US_IMG),
        ({"degree": "MD", "us_or_canadian": True}, DegreeType.US_MD),
        ({"degree": "MBBS", "us_or_canadian": False}, DegreeType.NON_US_IMG),
        ({"degree": "MD", "us_or_canadian": False, "citizenship": "India"}, DegreeType.NON_US_IMG),
        # A field list with no school type, country or degree: unknown, never an IMG by default.
        ({"medical_school": "Example Heritage College of Osteopathic Medicine"}, None),
        ({"degree": "MD"}, None),
        ({"citizenship": "India"}, None),
        # Only osteopathic students sit COMLEX (NBOME): a D.O., though no column says so.
        ({"exams": {"COMLEX Level 1": {"passed": True}}}, DegreeType.US_DO),
    ],
)
def test_degree_type(fields: dict[str, object], expected: DegreeType | None) -> None:
    assert degree_type(profile(**fields)) is expected


def test_degree_type_labels() -> None:
    assert [d.label for d in DegreeType] == ["US MD", "US DO", "US IMG", "Non-US IMG"]
    assert DegreeType.US_IMG.is_img
    assert not DegreeType.US_DO.is_img


# ---------------------------------------------------------------------------------------------------
# Derived facts


def test_years_since_graduation_counts_whole_years() -> None:
    p = profile(graduation_date=date(2016, 5, 15))
    assert years_since_graduation(p, date(2025, 5, 14)) == 8
    assert years_since_graduation(p, date(2025, 5, 15)) == 9
    assert graduation_year(p) == 2016
    assert years_since_graduation(profile(), date(2025, 3, 1)) is None
    assert years_since_graduation(profile(graduation_date=date(2026, 5, 1)), date(2025, 3, 1)) == 0


@pytest.mark.parametrize(
    ("result", "failures", "attempts"),
    [
        (ExamResult(passed=True), 0, 1),
        (ExamResult(score=240), 0, 1),
        (ExamResult(passed=False), 1, 1),
        (ExamResult(passed=True, attempts=3), 2, 3),
        (ExamResult(passed=False, attempts=2), 2, 2),
        (ExamResult(score=230, failures=1), 1, 2),
        (ExamResult(failures=2, attempts=1), 2, 2),
    ],
)
def test_exam_failure_and_attempt_inference(result: ExamResult, failures: int, attempts: int) -> None:
    assert result.failure_count == failures
    assert result.attempt_count == attempts


def test_exam_failures_sum_over_exams() -> None:
    p = profile(
        exams={
            "USMLE Step 1": {"passed": True, "attempts": 2},
            "USMLE Step 2 CK": {"score": 221, "failures": 1},
            "USMLE Step 3": {"score": 225},
        }
    )
    assert exam_failures(p) == 2
    assert exam_attempts(p) == 5


def test_red_flags_in_pd_words_only_for_yes() -> None:
    p = profile(felony=False, misdemeanor=True, malpractice_pending=None, professionalism_concern=True)
    assert red_flags(p) == ["misdemeanor conviction", "professionalism concern"]
    everything = profile(
        felony=True,
        misdemeanor=True,
        malpractice_pending=True,
        licensure_problem=True,
        training_interrupted=True,
        professionalism_concern=True,
    )
    assert red_flags(everything) == [
        "felony conviction",
        "misdemeanor conviction",
        "malpractice case pending",
        "licensure problem",
        "training interrupted",
        "professionalism concern",
    ]


def test_states_and_ties_to_region() -> None:
    p = profile(permanent_state="OH", contact_state="PA", school_state="Michigan")
    assert states(p) == {"OH", "PA", "MI"}
    assert ties_to_region(p, ["oh", "MI"]) == ["permanent address in OH", "medical school in MI"]
    assert ties_to_region(p, []) == []
    assert ties_to_region(p, ["TX"]) == []


def test_normalize_state() -> None:
    assert normalize_state("new york") == "NY"
    assert normalize_state(" tx ") == "TX"
    assert normalize_state("Ontario") == "ON"
    assert normalize_state("Maharashtra") is None
    assert normalize_state("") is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"visa_needed": True, "expected_visa": "J1"}, (True, "J-1")),
        ({"visa_needed": True, "current_visa": "H-1B"}, (True, "H-1B")),
        ({"visa_needed": True}, (True, None)),
        ({"visa_needed": False, "expected_visa": "J-1"}, (False, None)),
        ({"expected_visa": "H1B"}, (True, "H-1B")),
        ({}, (False, None)),
    ],
)
def test_visa_need(fields: dict[str, object], expected: tuple[bool, str | None]) -> None:
    assert visa_need(profile(**fields)) == expected


# ---------------------------------------------------------------------------------------------------
# Connections


def test_apply_flag_returns_new_connections() -> None:
    base = Connections()
    rotated = apply_flag(base, "rotated")
    assert rotated.rotated_here
    assert not base.rotated_here
    assert apply_flag(rotated, "Rotated", value=False) == base


@pytest.mark.parametrize(
    ("word", "field"),
    [
        ("rotated", "rotated_here"),
        ("interviewed", "interviewed"),
        ("home", "home_student"),
        ("contact", "prior_contact"),
        ("prelim", "prelim_here"),
        ("letters", "strong_letters"),
        ("HOME_STUDENT", "home_student"),
    ],
)
def test_flag_words_map_to_fields(word: str, field: str) -> None:
    assert getattr(apply_flag(Connections(), word), field) is True


def test_every_flag_word_names_a_real_field() -> None:
    for field in FLAG_WORDS.values():
        assert hasattr(Connections(), field)


def test_unknown_flag_lists_accepted_words() -> None:
    with pytest.raises(UnknownFlagError, match=r"rotated, interviewed, home, contact, prelim, letters"):
        apply_flag(Connections(), "famous")


def test_connections_labels_and_known() -> None:
    c = Connections(home_student=True, strong_letters=True)
    assert c.labels() == ["home student", "strong letters"]
    assert c.known_to_program
    assert not Connections(strong_letters=True).known_to_program


@given(profiles)
def test_profile_hash_is_the_one_earlier_versions_stored(p: ApplicantProfile) -> None:
    """A re-import after an upgrade still says "unchanged": the hash is the sha256 of the JSON text
    the first version wrote with json.dumps (now written by orjson, byte for byte)."""
    import hashlib
    import json

    from bot.domain.candidates import LATER_FIELDS
    from bot.services.candidate_import import profile_hash

    earlier = {key: value for key, value in p.model_dump(mode="json").items() if key not in LATER_FIELDS}
    text = json.dumps(earlier, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert profile_hash(p) == hashlib.sha256(text.encode()).hexdigest()


def test_the_purge_confirmation_takes_any_dash_spacing_and_case() -> None:
    from bot.errors import BadInput
    from bot.services.records import ProgramName, confirm_purge

    program = ProgramName("Internal Medicine – Mercy General")
    for typed in ("Internal Medicine – Mercy General", "internal medicine - mercy general",
                  "INTERNAL MEDICINE-MERCY GENERAL", "Internal  Medicine — Mercy General",
                  "internal medicine −mercy general"):
        confirm_purge(program, typed)
    for typed in ("Internal Medicine", "Internal Medicine Mercy General", "Surgery – Mercy General"):
        with pytest.raises(BadInput, match="any dash"):
            confirm_purge(program, typed)


def test_find_takes_at_most_forty_filters_and_says_so() -> None:
    """Before: 25,000 filters spent 32 s of CPU and the answer was too long for Slack (nothing shown)."""
    assert parse_find(["step2>=200"] * MAX_FIND_WORDS) is not None
    with pytest.raises(FindWordsError, match="at most 40"):
        parse_find(["step2>=200"] * 25_000)
