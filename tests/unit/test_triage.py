from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.candidates import EXAM_NAMES, ApplicantProfile, Connections, ExamResult
from bot.domain.triage import (
    POLICY_KEYS,
    Bucket,
    PolicyError,
    Risk,
    TriagePolicy,
    TriageResult,
    dealbreakers,
    effective_bucket,
    triage,
)

TODAY = date(2025, 3, 17)


def profile(**fields: object) -> ApplicantProfile:
    base: dict[str, object] = {
        "aamc_id": "20000002",
        "first_name": "Sample",
        "last_name": "Applicant",
        "school_type": "U.S. Public School",
        "degree": "MD",
        "graduation_date": date(2024, 5, 20),
        "visa_needed": False,
    }
    return ApplicantProfile.model_validate(base | fields)


def run(p: ApplicantProfile, c: Connections | None = None, policy: TriagePolicy | None = None) -> TriageResult:
    return triage(p, c or Connections(), policy or TriagePolicy(), TODAY)


# ---------------------------------------------------------------------------------------------------
# Bucket and risk enums


def test_buckets_in_order_best_first() -> None:
    assert [b.value for b in Bucket] == ["internal", "interviewed", "strong paper", "backup", "do not rank"]
    assert [b.order for b in Bucket] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("typed", "bucket"),
    [
        ("internal", Bucket.INTERNAL),
        ("Interviewed", Bucket.INTERVIEWED),
        ("strong", Bucket.STRONG_PAPER),
        ("strong-paper", Bucket.STRONG_PAPER),
        ("Strong Paper", Bucket.STRONG_PAPER),
        ("backup", Bucket.BACKUP),
        ("do-not-rank", Bucket.DO_NOT_RANK),
        ("do not rank", Bucket.DO_NOT_RANK),
        ("DNR", Bucket.DO_NOT_RANK),
        ("don't rank", Bucket.DO_NOT_RANK),
        ("3", Bucket.BACKUP),
    ],
)
def test_bucket_parse_accepts_what_a_director_types(typed: str, bucket: Bucket) -> None:
    assert Bucket.parse(typed) is bucket


def test_bucket_parse_rejects_nonsense_with_the_accepted_words() -> None:
    with pytest.raises(ValueError, match="internal, interviewed, strong, backup, dnr"):
        Bucket.parse("maybe")


# ---------------------------------------------------------------------------------------------------
# Policy


def test_policy_defaults() -> None:
    policy = TriagePolicy()
    assert policy.visas_sponsored == "J-1"
    assert policy.max_exam_failures == 1
    assert policy.max_years_since_graduation == 5
    assert policy.recent_clinical_months_waiver == 12
    assert policy.img_needs_us_clinical is True
    assert policy.home_states == ()
    assert policy.professionalism_dealbreaker is True


def test_set_from_text_full_example() -> None:
    policy = TriagePolicy().set_from_text(
        {
            "visas": "both",
            "max_failures": "2",
            "max_years": "7",
            "waiver_months": "6",
            "img_usce": "no",
            "home_states": "oh, PA,MI",
            "professionalism": "risk",
        }
    )
    assert policy == TriagePolicy(
        visas_sponsored="both",
        max_exam_failures=2,
        max_years_since_graduation=7,
        recent_clinical_months_waiver=6,
        img_needs_us_clinical=False,
        home_states=("MI", "OH", "PA"),
        professionalism_dealbreaker=False,
    )


@pytest.mark.parametrize(
    ("pairs", "field", "value"),
    [
        ({"visa": "none"}, "visas_sponsored", "none"),
        ({"Visas": "j1"}, "visas_sponsored", "J-1"),
        ({"sponsor": "H1B"}, "visas_sponsored", "H-1B"),
        ({"visas": "J-1,H-1B"}, "visas_sponsored", "both"),
        ({"failures": "0"}, "max_exam_failures", 0),
        ({"max-years": "10"}, "max_years_since_graduation", 10),
        ({"waiver": "24"}, "recent_clinical_months_waiver", 24),
        ({"usce": "required"}, "img_needs_us_clinical", True),
        ({"home": "none"}, "home_states", ()),
        ({"professionalism": "dealbreaker"}, "professionalism_dealbreaker", True),
    ],
)
def test_set_from_text_aliases(pairs: dict[str, str], field: str, value: object) -> None:
    assert getattr(TriagePolicy().set_from_text(pairs), field) == value


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ({"visas": "L-1"}, r"visas: 'L-1'.*none, J-1, H-1B or both"),
        ({"max_failures": "two"}, r"max_failures: 'two'.*whole number 0-20"),
        ({"max_years": "-1"}, r"max_years.*whole number"),
        ({"img_usce": "perhaps"}, r"img_usce: 'perhaps'.*yes or no"),
        ({"home_states": "OH,XX"}, r"home_states: XX not a 2-letter US state"),
        ({"professionalism": "sometimes"}, r"professionalism.*dealbreaker or risk"),
        ({"colour": "blue"}, r"unknown setting 'colour'; settings are: visas, max_failures"),
    ],
)
def test_set_from_text_errors_name_key_and_accepted_values(pairs: dict[str, str], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        TriagePolicy().set_from_text(pairs)


def test_bad_setting_changes_nothing() -> None:
    policy = TriagePolicy()
    with pytest.raises(PolicyError):
        policy.set_from_text({"max_years": "7", "visas": "maybe"})
    assert policy.max_years_since_graduation == 5


def test_describe_shows_every_setting() -> None:
    lines = TriagePolicy(home_states=("OH",), visas_sponsored="both").describe()
    assert len(lines) == len(POLICY_KEYS)
    for line, key in zip(lines, POLICY_KEYS, strict=True):
        assert line.endswith(f"({key})")  # tells the director what to type to change it
    text = "\n".join(lines)
    assert "J-1 and H-1B" in text
    assert "home states: OH" in text
    assert "12+ months" in text


def test_policy_round_trips_through_json() -> None:
    policy = TriagePolicy(home_states=("PA", "OH"))
    assert TriagePolicy.model_validate(policy.model_dump(mode="json")) == policy


# ---------------------------------------------------------------------------------------------------
# Deal-breakers, in a PD's words


@pytest.mark.parametrize(
    ("fields", "policy", "reason"),
    [
        ({"visa_needed": True, "expected_visa": "H-1B"}, TriagePolicy(), "needs H-1B; we sponsor J-1 only"),
        (
            {"visa_needed": True, "expected_visa": "J-1"},
            TriagePolicy(visas_sponsored="H-1B"),
            "needs J-1; we sponsor H-1B only",
        ),
        (
            {"visa_needed": True, "expected_visa": "J-1"},
            TriagePolicy(visas_sponsored="none"),
            "needs J-1; we sponsor none",
        ),
        ({"visa_needed": True}, TriagePolicy(visas_sponsored="none"), "needs a visa; we sponsor none"),
        (
            {"exams": {"USMLE Step 1": {"passed": True, "attempts": 2}, "USMLE Step 2 CK": {"passed": False}}},
            TriagePolicy(),
            "2 exam failures (max 1)",
        ),
        ({"exams": {"USMLE Step 1": {"passed": False}}}, TriagePolicy(max_exam_failures=0), "1 exam failure (max 0)"),
        ({"professionalism_concern": True}, TriagePolicy(), "professionalism concern"),
        ({"graduation_date": date(2015, 6, 1)}, TriagePolicy(),
         "graduated 9 years ago; the export holds no recent clinical work to waive it"),
        ({"graduation_date": date(2015, 6, 1), "recent_clinical_months": 0}, TriagePolicy(),
         "graduated 9 years ago; no recent clinical work"),
        (
            {"graduation_date": date(2015, 6, 1), "recent_clinical_months": 6},
            TriagePolicy(),
            "graduated 9 years ago; only 6 months of recent clinical work (waiver needs 12)",
        ),
        (
            {"school_type": "International School", "us_clinical_months": 0},
            TriagePolicy(),
            "IMG with no US clinical experience",
        ),
    ],
)
def test_dealbreakers(fields: dict[str, object], policy: TriagePolicy, reason: str) -> None:
    result = run(profile(**fields), Connections(home_student=True), policy)
    assert result.bucket is Bucket.DO_NOT_RANK
    assert result.risk is Risk.HIGH
    assert reason in result.reasons


@pytest.mark.parametrize(
    ("fields", "policy"),
    [
        ({"visa_needed": True, "expected_visa": "H-1B"}, TriagePolicy(visas_sponsored="both")),
        ({"visa_needed": True, "expected_visa": "J-1"}, TriagePolicy(visas_sponsored="J-1")),
        ({"visa_needed": True}, TriagePolicy(visas_sponsored="J-1")),  # unknown type: only "none" rejects
        ({"exams": {"USMLE Step 1": {"passed": False}}}, TriagePolicy()),
        ({"professionalism_concern": True}, TriagePolicy(professionalism_dealbreaker=False)),
        ({"graduation_date": date(2015, 6, 1), "recent_clinical_months": 12}, TriagePolicy()),
        ({"graduation_date": date(2015, 6, 1)}, TriagePolicy(max_years_since_graduation=10)),
        ({"school_type": "International School", "us_clinical_months": 0}, TriagePolicy(img_needs_us_clinical=False)),
        ({"school_type": "International School"}, TriagePolicy()),  # US clinical months unknown
        ({"us_clinical_months": 0}, TriagePolicy()),  # a US MD needs no US clinical experience
    ],
)
def test_not_dealbreakers(fields: dict[str, object], policy: TriagePolicy) -> None:
    assert dealbreakers(profile(**fields), policy, TODAY) == []
    assert run(profile(**fields), policy=policy).bucket is not Bucket.DO_NOT_RANK


def test_every_dealbreaker_is_listed() -> None:
    p = profile(
        visa_needed=True,
        expected_visa="H-1B",
        professionalism_concern=True,
        graduation_date=date(2010, 1, 1),
        exams={"USMLE Step 1": {"passed": False, "attempts": 3}},
    )
    assert run(p).reasons == (
        "needs H-1B; we sponsor J-1 only",
        "3 exam failures (max 1)",
        "professionalism concern",
        "graduated 15 years ago; the export holds no recent clinical work to waive it",
    )


# ---------------------------------------------------------------------------------------------------
# Buckets for the rest


def test_home_student_and_prelim_are_internal() -> None:
    assert run(profile(), Connections(home_student=True)).bucket is Bucket.INTERNAL
    result = run(profile(), Connections(prelim_here=True, interviewed=True))
    assert result.bucket is Bucket.INTERNAL
    assert result.reasons == ("prelim resident here",)


def test_interviewed_beats_strong_paper() -> None:
    result = run(profile(aoa=True), Connections(interviewed=True))
    assert result.bucket is Bucket.INTERVIEWED
    assert result.reasons == ("interviewed with us",)


@pytest.mark.parametrize(
    ("fields", "connections", "sign"),
    [
        ({"recent_clinical_months": 12}, Connections(), "recent clinical work"),
        ({}, Connections(strong_letters=True), "strong letters"),
        ({"aoa": True}, Connections(), "AOA"),
        ({"ghhs": True}, Connections(), "GHHS"),
        ({}, Connections(rotated_here=True), "rotated here"),
        ({}, Connections(prior_contact=True), "prior contact"),
    ],
)
def test_strong_paper_signs(fields: dict[str, object], connections: Connections, sign: str) -> None:
    result = run(profile(**fields), connections)
    assert result.bucket is Bucket.STRONG_PAPER
    assert sign in result.reasons


def test_ties_to_home_states_make_strong_paper_only_when_set() -> None:
    p = profile(permanent_state="OH")
    assert run(p).bucket is Bucket.BACKUP
    result = run(p, policy=TriagePolicy(home_states=("OH",)))
    assert result.bucket is Bucket.STRONG_PAPER
    assert result.reasons == ("permanent address in OH",)


def test_failure_or_red_flag_blocks_strong_paper() -> None:
    failed = run(profile(aoa=True, exams={"USMLE Step 1": {"passed": False}}))
    assert failed.bucket is Bucket.BACKUP
    assert failed.reasons == ("not strong paper: 1 exam failure",)
    flagged = run(profile(aoa=True, misdemeanor=True))
    assert flagged.bucket is Bucket.BACKUP
    assert flagged.reasons == ("not strong paper: misdemeanor conviction",)


def test_plain_clean_application_is_backup() -> None:
    result = run(profile())
    assert result.bucket is Bucket.BACKUP
    assert result.risk is Risk.LOW


# ---------------------------------------------------------------------------------------------------
# Risk


def test_risk_levels() -> None:
    assert run(profile()).risk is Risk.LOW
    one = run(profile(visa_needed=True, expected_visa="J-1"))
    assert one.risk is Risk.ELEVATED
    assert one.risk_reasons == ("needs J-1",)
    two = run(profile(visa_needed=True, expected_visa="J-1", graduation_date=date(2020, 5, 1)))
    assert two.risk is Risk.HIGH
    assert two.risk_reasons == ("graduated 4 years ago", "needs J-1")


def test_offsets_lower_risk() -> None:
    p = profile(visa_needed=True, expected_visa="J-1", graduation_date=date(2020, 5, 1), recent_clinical_months=8)
    result = run(p, Connections(strong_letters=True))
    assert result.offsets == ("8 months of recent clinical work", "strong letters")
    assert result.risk is Risk.LOW
    known = run(profile(felony=True), Connections(rotated_here=True))
    assert known.offsets == ("known to us: rotated here",)
    assert known.risk is Risk.LOW


def test_img_without_usce_is_a_risk_when_not_a_dealbreaker() -> None:
    p = profile(school_type="International School", us_clinical_months=0)
    result = run(p, policy=TriagePolicy(img_needs_us_clinical=False))
    assert "no US clinical experience" in result.risk_reasons


def test_effective_bucket_override() -> None:
    result = run(profile())
    assert effective_bucket(result.bucket, None) is Bucket.BACKUP
    assert effective_bucket(result.bucket, Bucket.INTERNAL) is Bucket.INTERNAL
    assert effective_bucket(None, Bucket.DO_NOT_RANK) is Bucket.DO_NOT_RANK
    assert effective_bucket(None, None) is None


# ---------------------------------------------------------------------------------------------------
# Properties

optional_bool = st.none() | st.booleans()
exam_results = st.builds(
    ExamResult,
    score=st.none() | st.integers(150, 280),
    passed=optional_bool,
    attempts=st.none() | st.integers(1, 4),
    failures=st.integers(0, 3),
)
profiles = st.builds(
    ApplicantProfile,
    aamc_id=st.just("30000003"),
    first_name=st.just("Prop"),
    last_name=st.just("Erty"),
    school_type=st.none() | st.sampled_from(["U.S. Public School", "Osteopathic School", "International School"]),
    citizenship=st.none() | st.sampled_from(["U.S. Citizen", "Other"]),
    degree=st.none() | st.sampled_from(["MD", "DO", "MBBS"]),
    graduation_date=st.none() | st.dates(date(2000, 1, 1), date(2025, 6, 1)),
    exams=st.dictionaries(st.sampled_from(EXAM_NAMES), exam_results, max_size=3),
    visa_needed=optional_bool,
    expected_visa=st.none() | st.sampled_from(["J-1", "H-1B", "F-1"]),
    current_visa=st.none() | st.sampled_from(["J-1", "H-1B"]),
    felony=optional_bool,
    misdemeanor=optional_bool,
    training_interrupted=optional_bool,
    professionalism_concern=optional_bool,
    aoa=optional_bool,
    ghhs=optional_bool,
    permanent_state=st.none() | st.sampled_from(["OH", "PA", "TX"]),
    contact_state=st.none() | st.sampled_from(["OH", "NY"]),
    school_state=st.none() | st.sampled_from(["Ohio", "MI", "Ontario"]),
    us_clinical_months=st.none() | st.integers(0, 24),
    recent_clinical_months=st.none() | st.integers(0, 24),
)
connections = st.builds(
    Connections,
    home_student=st.booleans(),
    rotated_here=st.booleans(),
    interviewed=st.booleans(),
    prior_contact=st.booleans(),
    prelim_here=st.booleans(),
    strong_letters=st.booleans(),
)
states = st.lists(st.sampled_from(["OH", "PA", "MI", "NY", "TX"]), max_size=3, unique=True).map(tuple)
policies = st.builds(
    TriagePolicy,
    visas_sponsored=st.sampled_from(["none", "J-1", "H-1B", "both"]),
    max_exam_failures=st.integers(0, 4),
    max_years_since_graduation=st.integers(0, 15),
    recent_clinical_months_waiver=st.integers(0, 24),
    img_needs_us_clinical=st.booleans(),
    home_states=states,
    professionalism_dealbreaker=st.booleans(),
)
todays = st.dates(date(2024, 1, 1), date(2030, 12, 31))

_MORE_VISAS = {"none": ["J-1", "H-1B", "both"], "J-1": ["both"], "H-1B": ["both"], "both": []}


@st.composite
def relaxations(draw: st.DrawFn, policy: TriagePolicy) -> TriagePolicy:
    """A policy at least as permissive as ``policy`` in every setting."""
    visas = draw(st.sampled_from([policy.visas_sponsored, *_MORE_VISAS[policy.visas_sponsored]]))
    extra_states = draw(states)
    return TriagePolicy(
        visas_sponsored=visas,
        max_exam_failures=policy.max_exam_failures + draw(st.integers(0, 3)),
        max_years_since_graduation=policy.max_years_since_graduation + draw(st.integers(0, 10)),
        recent_clinical_months_waiver=draw(st.integers(0, policy.recent_clinical_months_waiver)),
        img_needs_us_clinical=policy.img_needs_us_clinical and draw(st.booleans()),
        home_states=tuple(set(policy.home_states) | set(extra_states)),
        professionalism_dealbreaker=policy.professionalism_dealbreaker and draw(st.booleans()),
    )


@settings(max_examples=300)
@given(profiles, connections, policies, todays)
def test_triage_is_deterministic(p: ApplicantProfile, c: Connections, policy: TriagePolicy, today: date) -> None:
    assert triage(p, c, policy, today) == triage(p, c, policy, today)
    # and does not depend on the object identity of its inputs
    copy = ApplicantProfile.model_validate(p.model_dump(mode="json"))
    assert triage(copy, c, policy, today) == triage(p, c, policy, today)


@settings(max_examples=300)
@given(profiles, connections, policies, todays)
def test_a_dealbreaker_always_means_do_not_rank(
    p: ApplicantProfile, c: Connections, policy: TriagePolicy, today: date
) -> None:
    result = triage(p, c, policy, today)
    breakers = dealbreakers(p, policy, today)
    assert (result.bucket is Bucket.DO_NOT_RANK) == bool(breakers)
    if breakers:
        assert result.reasons == tuple(breakers)
        assert result.risk is Risk.HIGH


@settings(max_examples=500)
@given(profiles, connections, policies, todays, st.data())
def test_relaxing_the_policy_never_moves_a_candidate_down(
    p: ApplicantProfile, c: Connections, policy: TriagePolicy, today: date, data: st.DataObject
) -> None:
    relaxed = data.draw(relaxations(policy))
    before = triage(p, c, policy, today).bucket
    after = triage(p, c, relaxed, today).bucket
    assert after.order <= before.order


@settings(max_examples=200)
@given(profiles, policies, todays)
def test_a_known_connection_never_moves_a_candidate_down(
    p: ApplicantProfile, policy: TriagePolicy, today: date
) -> None:
    base = triage(p, Connections(), policy, today)
    for flag in ("home_student", "rotated_here", "interviewed", "prior_contact", "prelim_here", "strong_letters"):
        better = triage(p, Connections(**{flag: True}), policy, today)
        assert better.bucket.order <= base.bucket.order
