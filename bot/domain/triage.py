"""First-pass triage of a SOAP applicant: bucket, risk and the reasons, in a PD's words.

Pure and deterministic: the same profile, connections, policy and ``today`` always give the same
result. Rules (also in docs/import.md):

Deal-breakers (any one → DO_NOT_RANK, risk HIGH):
  - needs a visa the program does not sponsor ("both" = J-1 and H-1B, "none" = nothing). A visa
    need of unknown type is a deal-breaker only under "none";
  - more exam failures than ``max_exam_failures``;
  - a professionalism concern, when ``professionalism_dealbreaker``;
  - more than ``max_years_since_graduation`` years since graduation, unless the applicant has at
    least ``recent_clinical_months_waiver`` months of recent clinical work;
  - an IMG with no US clinical experience (0 months on file), when ``img_needs_us_clinical``.

Otherwise, best bucket first:
  INTERNAL (home student, or a preliminary resident here) → INTERVIEWED (interviewed in the main
  Match) → STRONG_PAPER (no exam failures, no red flags, and one of: recent clinical work, strong
  letters, AOA/GHHS, ties to the home states, rotated here, prior contact) → BACKUP.

Risk: one point per risk reason (exam failures, graduated 3+ years ago, needs a visa, each red flag,
IMG with no US clinical experience) minus one per offset (recent clinical work of 6+ months, strong
letters, known to the program). Net ≤ 0 → LOW, 1 → ELEVATED, ≥ 2 → HIGH.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.domain.candidates import (
    US_STATES,
    ApplicantProfile,
    Connections,
    degree_type,
    exam_failures,
    is_img,
    red_flags,
    ties_to_region,
    visa_need,
    years_since_graduation,
)
from bot.domain.wording import plural

# --------------------------------------------------------------------------------------------------
# Buckets and risk


class Bucket(StrEnum):
    """Triage buckets, best first. ``order`` is 0 for the best."""

    INTERNAL = "internal"
    INTERVIEWED = "interviewed"
    STRONG_PAPER = "strong paper"
    BACKUP = "backup"
    DO_NOT_RANK = "do not rank"

    @property
    def order(self) -> int:
        return _BUCKET_ORDER[self]

    @property
    def label(self) -> str:
        return self.value

    @classmethod
    def parse(cls, text: str) -> Bucket:
        """What a director types: "internal", "interviewed", "strong", "strong-paper", "backup",
        "dnr", "do-not-rank", "do not rank", "off"… Raises ValueError listing the words."""
        key = re.sub(r"[^a-z0-9]", "", text.lower())
        bucket = _BUCKET_ALIASES.get(key)
        if bucket is None:
            raise ValueError(f"unknown bucket {text!r}; use one of: internal, interviewed, strong, backup, dnr")
        return bucket


_BUCKETS_IN_ORDER: tuple[Bucket, ...] = tuple(Bucket)
_BUCKET_ORDER: dict[Bucket, int] = {bucket: index for index, bucket in enumerate(_BUCKETS_IN_ORDER)}
_BUCKET_ALIASES: dict[str, Bucket] = {
    "internal": Bucket.INTERNAL,
    "int": Bucket.INTERNAL,
    "known": Bucket.INTERNAL,
    "home": Bucket.INTERNAL,
    "interviewed": Bucket.INTERVIEWED,
    "interview": Bucket.INTERVIEWED,
    "iv": Bucket.INTERVIEWED,
    "strongpaper": Bucket.STRONG_PAPER,
    "strong": Bucket.STRONG_PAPER,
    "paper": Bucket.STRONG_PAPER,
    "sp": Bucket.STRONG_PAPER,
    "backup": Bucket.BACKUP,
    "backups": Bucket.BACKUP,
    "back": Bucket.BACKUP,
    "donotrank": Bucket.DO_NOT_RANK,
    "dontrank": Bucket.DO_NOT_RANK,
    "dnr": Bucket.DO_NOT_RANK,
    "norank": Bucket.DO_NOT_RANK,
    "off": Bucket.DO_NOT_RANK,
    "no": Bucket.DO_NOT_RANK,
}
for _index, _bucket in enumerate(_BUCKETS_IN_ORDER):
    _BUCKET_ALIASES[str(_index)] = _bucket


class OverrideSource(StrEnum):
    """Who set a candidate's bucket over the computed one: a director (kept until a director clears
    it) or the pre-SOAP plan (replaced or cleared by the next plan)."""

    DIRECTOR = "director"
    PLAN = "plan"


class Risk(StrEnum):
    LOW = "low"
    ELEVATED = "elevated"
    HIGH = "high"

    @property
    def label(self) -> str:
        return self.value


# --------------------------------------------------------------------------------------------------
# Policy

VisaPolicy = Literal["none", "J-1", "H-1B", "both"]
_SPONSORED: dict[str, frozenset[str]] = {
    "none": frozenset(),
    "J-1": frozenset({"J-1"}),
    "H-1B": frozenset({"H-1B"}),
    "both": frozenset({"J-1", "H-1B"}),
}


class PolicyError(ValueError):
    """A policy setting the bot cannot read; the message names the key and the accepted values."""


class TriagePolicy(BaseModel):
    """The program's triage rules. Defaults are a typical community internal-medicine program."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    visas_sponsored: VisaPolicy = "J-1"
    """Which visas the hospital sponsors: none, J-1, H-1B or both."""
    max_exam_failures: int = Field(default=1, ge=0, le=20)
    """More failed exam attempts than this (all exams together) is a deal-breaker."""
    max_years_since_graduation: int = Field(default=5, ge=0, le=80)
    """More years since medical school graduation than this is a deal-breaker..."""
    recent_clinical_months_waiver: int = Field(default=12, ge=0, le=120)
    """...unless the applicant has at least this many months of recent (last 2 years) clinical work."""
    img_needs_us_clinical: bool = True
    """An IMG with no US clinical experience is a deal-breaker."""
    home_states: tuple[str, ...] = ()
    """2-letter codes of the states that count as ties to the region."""
    professionalism_dealbreaker: bool = True
    """A professionalism concern is a deal-breaker (otherwise it is a risk)."""
    blind_votes: bool = False
    """The committee's tallies stay hidden from a member until they have voted (against anchoring):
    the card says how many voted, not how. Not a triage rule, but the program's one policy holds it."""

    @field_validator("home_states", mode="before")
    @classmethod
    def _normalize_states(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in re.split(r"[\s,;]+", value) if part]
        if isinstance(value, list | tuple | set | frozenset):
            codes: list[str] = []
            for item in value:
                code = str(item).strip().upper()
                if code not in US_STATES:
                    raise ValueError(f"{item!r} is not a 2-letter US state code")
                if code not in codes:
                    codes.append(code)
            return tuple(sorted(codes))
        return value

    @property
    def sponsored_visas(self) -> frozenset[str]:
        return _SPONSORED[self.visas_sponsored]

    def set_from_text(self, pairs: dict[str, str]) -> TriagePolicy:
        """Return a new policy with the settings a director typed, e.g.
        ``{"visas": "J-1", "max_failures": "1", "home_states": "OH,PA"}``.

        Keys are case-insensitive and accept aliases (see ``POLICY_KEYS``). Raises ``PolicyError``
        naming every bad key or value (with the accepted values), not only the first; nothing is
        changed then.
        """
        updates: dict[str, object] = {}
        problems: list[str] = []
        for raw_key, raw_value in pairs.items():
            field = _POLICY_KEY_ALIASES.get(_norm_key(raw_key))
            if field is None:
                problems.append(f"unknown setting {raw_key!r}; settings are: {', '.join(POLICY_KEYS)}")
                continue
            try:
                updates[field] = _PARSERS[field](raw_key, raw_value)
            except PolicyError as error:
                problems.append(str(error))
        if problems:
            raise PolicyError("; ".join(problems))
        return self.model_validate(self.model_dump() | updates)

    def describe(self) -> list[str]:
        """One line per setting, for display."""
        visas = {
            "none": "none (any visa need is a deal-breaker)",
            "J-1": "J-1 only",
            "H-1B": "H-1B only",
            "both": "J-1 and H-1B",
        }[self.visas_sponsored]
        return [
            f"visas sponsored: {visas} (visas)",
            f"max exam failures: {self.max_exam_failures} (max_failures)",
            f"max years since graduation: {self.max_years_since_graduation} (max_years)",
            f"recent clinical work that waives the years limit: {self.recent_clinical_months_waiver}+ months"
            " (waiver_months)",
            "IMGs need US clinical experience: " + ("yes" if self.img_needs_us_clinical else "no") + " (img_usce)",
            "home states: " + (", ".join(self.home_states) if self.home_states else "none set") + " (home_states)",
            "professionalism concern: "
            + ("deal-breaker" if self.professionalism_dealbreaker else "risk, not a deal-breaker")
            + " (professionalism)",
            "blind votes: " + ("yes, a member sees the tally only after voting" if self.blind_votes
                               else "no, the card shows the tally") + " (blind_votes)",
        ]


def _norm_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


#: The documented keys a director types, in the order shown in help.
POLICY_KEYS: tuple[str, ...] = (
    "visas",
    "max_failures",
    "max_years",
    "waiver_months",
    "img_usce",
    "home_states",
    "professionalism",
    "blind_votes",
)

_POLICY_KEY_ALIASES: dict[str, str] = {
    _norm_key(alias): field
    for field, aliases in {
        "visas_sponsored": ("visas", "visa", "visas_sponsored", "sponsor", "sponsors", "sponsorship"),
        "max_exam_failures": ("max_failures", "failures", "max_exam_failures", "max_fails", "fails"),
        "max_years_since_graduation": (
            "max_years", "years", "max_years_since_graduation", "max_yog", "yog", "years_out",
        ),
        "recent_clinical_months_waiver": (
            "waiver_months", "waiver", "recent_clinical_months_waiver", "recent_months", "waiver_usce",
        ),
        "img_needs_us_clinical": ("img_usce", "usce", "img_needs_us_clinical", "img_us_clinical"),
        "home_states": ("home_states", "home", "states", "region", "home_state"),
        "professionalism_dealbreaker": ("professionalism", "professionalism_dealbreaker", "prof"),
        "blind_votes": ("blind_votes", "blind", "blind_voting"),
    }.items()
    for alias in aliases
}  # fmt: skip

_Parser = Callable[[str, str], object]

_TRUE = {"yes", "y", "true", "on", "1", "required", "require", "dealbreaker", "dealbreak", "db"}
_FALSE = {"no", "n", "false", "off", "0", "notrequired", "optional", "risk", "flag", "warn", "warning"}


def _parse_visas(key: str, value: str) -> str:
    text = _norm_key(value)
    parts = {_norm_key(p) for p in re.split(r"[,;/+&\s]+|\band\b", value.lower()) if p.strip()}
    j1, h1b = "j1" in parts or text == "j", "h1b" in parts or text in ("h", "h1")
    if text in ("none", "no", "nothing", "0", "neither"):
        return "none"
    if text in ("both", "all", "any", "j1h1b", "h1bj1", "j1andh1b", "h1bandj1") or (j1 and h1b):
        return "both"
    if text in ("j1", "j", "j1only", "jonly"):
        return "J-1"
    if text in ("h1b", "h", "h1", "h1bonly", "honly"):
        return "H-1B"
    raise PolicyError(f"{key}: {value!r} is not a visa policy; use none, J-1, H-1B or both")


def _parse_int(low: int, high: int, what: str) -> _Parser:
    def parse(key: str, value: str) -> int:
        text = value.strip()
        if not re.fullmatch(r"[0-9]{1,3}", text) or not low <= int(text) <= high:
            raise PolicyError(f"{key}: {value!r} is not {what}; use a whole number {low}-{high}")
        return int(text)

    return parse


def _parse_bool(yes: str, no: str) -> _Parser:
    def parse(key: str, value: str) -> bool:
        text = _norm_key(value)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise PolicyError(f"{key}: {value!r} not understood; use {yes} or {no}")

    return parse


def _parse_states(key: str, value: str) -> tuple[str, ...]:
    text = value.strip()
    if _norm_key(text) in ("", "none", "clear", "no"):
        return ()
    codes = [part.upper() for part in re.split(r"[\s,;]+", text) if part]
    bad = [code for code in codes if code not in US_STATES]
    if bad:
        raise PolicyError(f"{key}: {', '.join(bad)} not a 2-letter US state code; use e.g. OH,PA,MI (or none)")
    return tuple(sorted(set(codes)))


_PARSERS: dict[str, _Parser] = {
    "visas_sponsored": _parse_visas,
    "max_exam_failures": _parse_int(0, 20, "a number of failures"),
    "max_years_since_graduation": _parse_int(0, 80, "a number of years"),
    "recent_clinical_months_waiver": _parse_int(0, 120, "a number of months"),
    "img_needs_us_clinical": _parse_bool("yes", "no"),
    "home_states": _parse_states,
    "professionalism_dealbreaker": _parse_bool("dealbreaker", "risk"),
    "blind_votes": _parse_bool("yes", "no"),
}


# --------------------------------------------------------------------------------------------------
# Triage

#: Graduating this many years ago or more is a risk reason (independent of the deal-breaker limit).
YEARS_OUT_RISK = 3
#: This many months of recent clinical work is an offset (and a "strong paper" sign).
RECENT_CLINICAL_MONTHS = 6


@dataclasses.dataclass(frozen=True, slots=True)
class TriageResult:
    """``reasons`` are the deal-breakers for DO_NOT_RANK, else why the bucket was chosen."""

    bucket: Bucket
    risk: Risk
    reasons: tuple[str, ...]
    risk_reasons: tuple[str, ...]
    offsets: tuple[str, ...]


def effective_bucket(computed: Bucket | None, override: Bucket | None) -> Bucket | None:
    """The bucket the committee works with: an override (a director's or the plan's) wins over the
    computed one."""
    return override if override is not None else computed


def dealbreakers(profile: ApplicantProfile, policy: TriagePolicy, today: date) -> list[str]:
    """The deal-breakers under ``policy``, in a PD's words (empty when none)."""
    reasons: list[str] = []

    needs_visa, visa = visa_need(profile)
    if needs_visa:
        sponsored = policy.sponsored_visas
        if not sponsored:
            reasons.append(f"needs {visa or 'a visa'}; we sponsor none")
        elif visa is not None and visa not in sponsored:
            reasons.append(f"needs {visa}; we sponsor {policy.visas_sponsored} only")

    failures = exam_failures(profile)
    if failures > policy.max_exam_failures:
        reasons.append(f"{plural(failures, 'exam failure')} (max {policy.max_exam_failures})")

    if profile.professionalism_concern is True and policy.professionalism_dealbreaker:
        reasons.append("professionalism concern")

    years = years_since_graduation(profile, today)
    if years is not None and years > policy.max_years_since_graduation:
        recent = profile.recent_clinical_months
        if recent is None or recent < policy.recent_clinical_months_waiver:
            if recent is None:
                work = "the export holds no recent clinical work to waive it"
            elif not recent:
                work = "no recent clinical work"
            else:
                work = (
                    f"only {plural(recent, 'month')} of recent clinical work"
                    f" (waiver needs {policy.recent_clinical_months_waiver})"
                )
            # A semicolon: the deal-breakers are listed with commas, and this is one reason, not two.
            reasons.append(f"graduated {plural(years, 'year')} ago; {work}")

    if policy.img_needs_us_clinical and profile.us_clinical_months == 0 and is_img(profile):
        reasons.append("IMG with no US clinical experience")

    return reasons


@dataclasses.dataclass(frozen=True, slots=True)
class RuleInput:
    """What a triage rule reads from the export, to say when it had nothing to read."""

    key: str
    what: str
    """What the export did not tell, in the committee's words ("graduation date")."""
    rule: str
    """The rule that is off then ("years-since-graduation rule")."""
    fields: tuple[str, ...]
    """The profile fields it reads: it is off when all of them are empty."""
    img_only: bool = False


#: The export columns each rule reads (docs/import.md §5; PDWS names in ../shared/DOMAIN.md §4).
RULE_INPUTS: tuple[RuleInput, ...] = (
    RuleInput("visa", "visa status", "visa rule", ("visa_needed", "expected_visa", "current_visa")),
    RuleInput("exams", "exam results", "exam-failures rule", ("exams",)),
    RuleInput("graduation", "graduation date", "years-since-graduation rule", ("graduation_date",)),
    RuleInput("recent_clinical", "recent clinical work", "recent-clinical waiver of the years limit",
              ("recent_clinical_months",)),
    RuleInput("school_type", "school type (US, Canadian or international)", "IMG rules",
              ("school_type", "school_country", "degree")),
    RuleInput("us_clinical", "US clinical experience", "IMG US-clinical rule", ("us_clinical_months",),
              img_only=True),
    RuleInput("professionalism", "professionalism concern", "professionalism rule",
              ("professionalism_concern",)),
    RuleInput("red_flags", "red-flag answers", "red-flag check",
              ("felony", "misdemeanor", "malpractice_pending", "licensure_problem", "training_interrupted",
               "screened")),
    RuleInput("ties", "state (permanent, contact or school)", "ties-to-the-region sign",
              ("permanent_state", "contact_state", "school_state")),
)


def rules_without_data(profile: ApplicantProfile) -> list[RuleInput]:
    """The rules that had nothing to read for this applicant (the export did not tell)."""
    missing: list[RuleInput] = []
    for rule in RULE_INPUTS:
        if rule.img_only and not is_img(profile):
            continue
        if rule.key == "school_type":
            # Read from several columns and the exams (COMLEX means a D.O.), not one field.
            if degree_type(profile) is None:
                missing.append(rule)
            continue
        if all(getattr(profile, field) in (None, [], {}) for field in rule.fields):
            missing.append(rule)
    return missing


def _risk(profile: ApplicantProfile, connections: Connections, today: date) -> tuple[list[str], list[str]]:
    risk_reasons: list[str] = []
    failures = exam_failures(profile)
    if failures:
        risk_reasons.append(plural(failures, "exam failure"))
    years = years_since_graduation(profile, today)
    if years is not None and years >= YEARS_OUT_RISK:
        risk_reasons.append(f"graduated {plural(years, 'year')} ago")
    needs_visa, visa = visa_need(profile)
    if needs_visa:
        risk_reasons.append(f"needs {visa or 'a visa'}")
    risk_reasons.extend(red_flags(profile))
    if profile.us_clinical_months == 0 and is_img(profile):
        risk_reasons.append("no US clinical experience")

    offsets: list[str] = []
    recent = profile.recent_clinical_months
    if recent is not None and recent >= RECENT_CLINICAL_MONTHS:
        offsets.append(f"{recent} months of recent clinical work")
    if connections.strong_letters:
        offsets.append("strong letters")
    if connections.known_to_program:
        known = [label for label in connections.labels() if label != "strong letters"]
        offsets.append("known to us: " + ", ".join(known))
    return risk_reasons, offsets


def _risk_level(points: int) -> Risk:
    if points <= 0:
        return Risk.LOW
    if points == 1:
        return Risk.ELEVATED
    return Risk.HIGH


def strong_paper_signs(profile: ApplicantProfile, connections: Connections, policy: TriagePolicy) -> list[str]:
    """What makes a paper application strong (empty when it is not, or has failures/red flags)."""
    if exam_failures(profile) or red_flags(profile):
        return []
    signs: list[str] = []
    recent = profile.recent_clinical_months
    if recent is not None and recent >= RECENT_CLINICAL_MONTHS:
        signs.append("recent clinical work")
    if connections.strong_letters:
        signs.append("strong letters")
    if profile.aoa is True:
        signs.append("AOA")
    if profile.ghhs is True:
        signs.append("GHHS")
    if profile.ssp is True:  # the osteopathic honor society (../shared/DOMAIN.md §4)
        signs.append("Sigma Sigma Phi")
    signs.extend(ties_to_region(profile, policy.home_states))
    if connections.rotated_here:
        signs.append("rotated here")
    if connections.prior_contact:
        signs.append("prior contact")
    return signs


def triage(profile: ApplicantProfile, connections: Connections, policy: TriagePolicy, today: date) -> TriageResult:
    """Bucket, risk and reasons for one applicant (see the module docstring for the rules)."""
    risk_reasons, offsets = _risk(profile, connections, today)
    breakers = dealbreakers(profile, policy, today)
    if breakers:
        return TriageResult(Bucket.DO_NOT_RANK, Risk.HIGH, tuple(breakers), tuple(risk_reasons), tuple(offsets))

    reasons: list[str]
    if connections.home_student or connections.prelim_here:
        bucket = Bucket.INTERNAL
        reasons = [label for label in connections.labels() if label in ("home student", "prelim resident here")]
    elif connections.interviewed:
        bucket = Bucket.INTERVIEWED
        reasons = ["interviewed with us"]
    else:
        signs = strong_paper_signs(profile, connections, policy)
        if signs:
            bucket = Bucket.STRONG_PAPER
            reasons = signs
        else:
            bucket = Bucket.BACKUP
            failures = exam_failures(profile)
            concerns = ([plural(failures, "exam failure")] if failures else []) + red_flags(profile)
            if concerns:
                reasons = ["not strong paper: " + ", ".join(concerns)]
            else:
                reasons = ["clean, but nothing that stands out"]
    risk = _risk_level(len(risk_reasons) - len(offsets))
    return TriageResult(bucket, risk, tuple(reasons), tuple(risk_reasons), tuple(offsets))
