"""`/soap find` as typed (`step2>=240 grad>=2024 type:md visa:no state:OH voted:no`, a name), read
into ``FindFilters``. A word with an operator that is not a filter is a ``FindWordsError`` naming the
filters, never a name search that quietly finds nobody. Each message quotes what was typed as typed;
whoever shows it in Slack escapes it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from bot.domain.candidate_search import FindFilters, ScoreFilter
from bot.domain.candidates import (
    COMLEX_LEVEL_1,
    COMLEX_LEVEL_2_CE,
    USMLE_STEP_1,
    USMLE_STEP_2_CK,
    USMLE_STEP_3,
    UnknownFlagError,
    flag_field,
)
from bot.domain.triage import Bucket


class FindWordsError(ValueError):
    """The words cannot be read as filters; the message says how to write them."""


FIND_HELP = ("Filters (combine any): `step2>=240`, `step1:pass`, `step1:fail`, `comlex2>=500` (also `step3`, "
             "`comlex1`), `grad>=2024`, `type:md` (also `do`, `img`, `us-img`, `non-us-img`), `visa:no`, `fails:0`, "
             "`fails<=1`, `state:OH`, `track:1234140C0` or `track:categorical`, `bucket:strong`, `flag:interviewed`, "
             "`risk:low`, `voted:no` (you have not voted), a name; `page=2`.")

_FILTER = re.compile(r"^(?P<key>[a-z][a-z0-9_-]*)\s*(?P<op>:|>=|<=|=|>|<)\s*(?P<value>.+)$")
_OPERATOR = re.compile(r"[:<>=]")
_DEGREE_WORDS: dict[str, tuple[str, ...]] = {
    "img": ("US IMG", "Non-US IMG"), "usimg": ("US IMG",), "nonusimg": ("Non-US IMG",), "fmg": ("Non-US IMG",),
    "md": ("US MD",), "usmd": ("US MD",), "do": ("US DO",), "usdo": ("US DO",), "amg": ("US MD", "US DO"),
}
#: Score filter words → the exam as the profile names it.
_EXAM_WORDS: dict[str, str] = {
    "step1": USMLE_STEP_1, "usmle1": USMLE_STEP_1,
    "step2": USMLE_STEP_2_CK, "step2ck": USMLE_STEP_2_CK, "usmle2": USMLE_STEP_2_CK, "ck": USMLE_STEP_2_CK,
    "step3": USMLE_STEP_3, "usmle3": USMLE_STEP_3,
    "comlex1": COMLEX_LEVEL_1, "level1": COMLEX_LEVEL_1,
    "comlex2": COMLEX_LEVEL_2_CE, "comlex2ce": COMLEX_LEVEL_2_CE, "level2": COMLEX_LEVEL_2_CE,
}
#: Every filter word, for the error that names them (aliases left out).
FILTER_NAMES = ("step1", "step2", "step3", "comlex1", "comlex2", "grad", "type", "visa", "fails", "state", "track",
                "bucket", "flag", "risk", "voted", "name")
_ALIASES = {"visas": "visa", "failures": "fails", "fail": "fails", "graduated": "grad", "graduation": "grad",
            "year": "grad", "gradyear": "grad", "degree": "type", "states": "state", "flags": "flag",
            "known": "flag", "tracks": "track", "vote": "voted", "buckets": "bucket"}


def _op(op: str) -> str:
    return "=" if op == ":" else op


def _number(key: str, value: str, low: int, high: int) -> int:
    if not re.fullmatch(r"[0-9]{1,4}", value) or not low <= int(value) <= high:
        raise FindWordsError(f"`{key}` needs a whole number {low}–{high}, not “{value}”. {FIND_HELP}")
    return int(value)


# More filters than anyone types: 25,000 of them spent 32 s of CPU and answered nothing (msg_too_long).
MAX_FIND_WORDS = 40


def _unknown_filter(key: str) -> FindWordsError:
    close = difflib.get_close_matches(key, [*FILTER_NAMES, *_EXAM_WORDS, *_ALIASES], n=1, cutoff=0.6)
    guess = f" Did you mean `{close[0]}`?" if close else ""
    return FindWordsError(f"Unknown filter `{key[:40]}`; nothing was searched.{guess} The filters are "
                          + ", ".join(f"`{name}`" for name in FILTER_NAMES)
                          + "; `/soap find help` shows an example of each.")


def _score(key: str, exam: str, op: str, value: str) -> ScoreFilter:
    if value in ("pass", "passed", "p"):
        if op != "=":
            raise FindWordsError(f"Use `{key}:pass` or `{key}:fail` for a result.")
        return ScoreFilter(exam, op, passed=True)
    if value in ("fail", "failed", "f"):
        if op != "=":
            raise FindWordsError(f"Use `{key}:pass` or `{key}:fail` for a result.")
        return ScoreFilter(exam, op, passed=False)
    if not re.fullmatch(r"[0-9]{1,3}", value) or not 1 <= int(value) <= 999:
        raise FindWordsError(f"`{key}` takes a score such as `{key}>=240`, or `{key}:pass` / "
                             f"`{key}:fail`; not “{value[:40]}”.")
    return ScoreFilter(exam, op, score=int(value))


def parse_find(words: Sequence[str]) -> FindFilters:
    """Turn `step2>=240 grad>=2024 type:md visa:no state:OH voted:no` into filters.

    A word without `:`, `=`, `<` or `>` is part of a name; a word with one is a filter, and an unknown
    filter is an error naming the filters (never a name search that quietly finds nobody)."""
    if len(words) > MAX_FIND_WORDS:
        raise FindWordsError(f"That is {len(words):,} filters and names; `/soap find` takes at most {MAX_FIND_WORDS} "
                             "at once, and nothing was searched. Keep the ones that narrow the list most.")
    found: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {k: [] for k in ("degree_types", "states", "flags", "buckets", "risks",
                                                   "tracks", "names", "scores")}
    for word in words:
        match = _FILTER.match(word.strip().lower())
        if match is None:
            if _OPERATOR.search(word):
                raise _unknown_filter(_OPERATOR.split(word.strip().lower(), 1)[0] or word.strip())
            if word.strip():
                lists["names"].append(word.strip()[:80])
            continue
        key = match["key"].replace("-", "").replace("_", "")
        key = _ALIASES.get(key, key)
        op, value = _op(match["op"]), match["value"].strip()
        if key in _EXAM_WORDS:
            lists["scores"].append(_score(match["key"], _EXAM_WORDS[key], op, value))
        elif key == "visa":
            if value in ("no", "n", "none", "false"):
                found["visa"] = False
            elif value in ("yes", "y", "true", "needed", "needs"):
                found["visa"] = True
            else:
                raise FindWordsError(f"`visa:` is `visa:no` or `visa:yes`, not “{value}”.")
        elif key == "fails":
            found["fails"] = (op, _number("fails", value, 0, 20))
        elif key == "grad":
            found["grad"] = (op, _number("grad", value, 1940, 2100))
        elif key == "type":
            for part in value.split(","):
                types = _DEGREE_WORDS.get(re.sub(r"[^a-z]", "", part))
                if types is None:
                    raise FindWordsError(f"`type:` is one of md, do, img, us-img, non-us-img; not “{part}”.")
                lists["degree_types"].extend(t for t in types if t not in lists["degree_types"])
        elif key == "state":
            for part in value.split(","):
                code = part.strip().upper()
                if not re.fullmatch(r"[A-Z]{2}", code):
                    raise FindWordsError(f"`state:` takes 2-letter codes like `state:OH`, not “{part}”.")
                lists["states"].append(code)
        elif key == "flag":
            for part in value.split(","):
                try:
                    lists["flags"].append(flag_field(part))
                except UnknownFlagError as error:
                    raise FindWordsError(str(error)) from None
        elif key == "bucket":
            try:
                lists["buckets"].append(Bucket.parse(value).value)
            except ValueError as error:
                raise FindWordsError(str(error)) from None
        elif key == "risk":
            if value not in ("low", "elevated", "high"):
                raise FindWordsError(f"`risk:` is low, elevated or high, not “{value}”.")
            lists["risks"].append(value)
        elif key == "track":
            lists["tracks"].append(value[:64])
        elif key == "voted":
            if value in ("no", "n", "false", "not"):
                found["voted"] = False
            elif value in ("yes", "y", "true"):
                found["voted"] = True
            else:
                raise FindWordsError(f"`voted:` is `voted:no` (you have not voted yet) or `voted:yes`, "
                                     f"not “{value}”.")
        elif key == "name":
            lists["names"].append(value[:80])
        else:
            raise _unknown_filter(match["key"])
    return FindFilters(visa=found.get("visa"), fails=found.get("fails"), grad=found.get("grad"),
                       degree_types=tuple(lists["degree_types"]), states=tuple(lists["states"]),
                       flags=tuple(lists["flags"]), buckets=tuple(lists["buckets"]), risks=tuple(lists["risks"]),
                       tracks=tuple(lists["tracks"]), names=tuple(lists["names"]), scores=tuple(lists["scores"]),
                       voted=found.get("voted"))
