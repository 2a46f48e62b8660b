"""Candidates in storage: importing the ERAS export, finding an applicant, flags, and `/soap find`.

Decisions (written down for the coordinator and the committee):
- An import is all-or-nothing: a file with any bad row (or a missing required column) imports
  nothing and the result lists every bad row. `dry_run` reads and counts without writing.
- Re-importing matches candidates by AAMC ID within the program. A row whose profile hash is the
  same and that adds no connection flag is *unchanged*. Notes, votes, overrides, threads and pins
  are never touched: they live in other columns/tables and the import only writes the profile,
  the searchable derived columns, the flags it adds and the computed triage.
- Connection flags in the file only ADD: a `Yes` sets the flag, a `No` never clears what the
  committee recorded with `/soap flag` (only `/soap flag <id> <word> off` clears).
- Applicants missing from a new file stay (SOAP applications are not withdrawn by an export).
- Triage is recomputed for the imported rows in the same transaction; one `candidates.import`
  audit event records the counts (never names).
- Bulk-friendly: the program's existing candidates are read once; inserts and updates are
  executemany batches, so thousands of rows import in seconds.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import orjson
from slack_sdk import WebClient
from sqlalchemy import Table, and_, func, insert, or_, select, true, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.access import ProgramRef
from bot.domain.candidate_search import CandidateRef, FindFilters, FindPage, FoundCandidate, ScoreFilter
from bot.domain.candidates import (
    COMLEX_LEVEL_1,
    COMLEX_LEVEL_2_CE,
    CONNECTION_LABELS,
    LATER_FIELDS,
    USMLE_STEP_1,
    USMLE_STEP_2_CK,
    USMLE_STEP_3,
    ApplicantProfile,
    Connections,
    UnknownFlagError,
    apply_flag,
    degree_type,
    exam_failures,
    flag_field,
    graduation_year,
    states,
    visa_need,
)
from bot.domain.import_result import ImportResult
from bot.domain.plan import is_plan_file
from bot.domain.program_codes import parse_track
from bot.domain.triage import Bucket
from bot.eras import ColumnsMappingError, ExportFileError, ImportReport, read_export
from bot.errors import BadInput, CandidateNotFound, WarRoomError
from bot.messages.mrkdwn import escape
from bot.services import audit
from bot.services.plan import apply_plan, not_applied
from bot.services.triage import CONNECTION_COLUMNS, connections_of, policy_of, recompute, triage_values
from bot.war_room import WarRoom
from storage.database import Database
from storage.models import Candidate, Program
from storage.models import Vote as VoteRow

MAX_FILE_BYTES = 20 * 1024 * 1024
CANDIDATES: Table = Candidate.__table__  # type: ignore[assignment]


def program_today(now: datetime, timezone: str) -> date:
    """Today's date in the program's time zone (years since graduation are counted from it)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def profile_hash(profile: ApplicantProfile | Mapping[str, Any]) -> str:
    """A stable hash of the profile's JSON (what decides "unchanged" on a re-import)."""
    dumped = profile.model_dump(mode="json") if isinstance(profile, ApplicantProfile) else profile
    dumped = {key: value for key, value in dumped.items() if key not in LATER_FIELDS or not _said_before(key, dumped)}
    # Byte for byte json.dumps(dumped, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    # the text hashed before orjson, so hashes stored by earlier versions still compare equal.
    return hashlib.sha256(orjson.dumps(dumped, option=orjson.OPT_SORT_KEYS)).hexdigest()


#: A later list field that only repeats its single field (one school, one degree…) says nothing new.
_REPEATS = {"medical_schools": "medical_school", "degrees": "degree", "graduation_dates": "graduation_date"}


def _said_before(key: str, dumped: Mapping[str, Any]) -> bool:
    """True when a field added after profiles were first stored adds nothing an earlier version's
    profile did not say: empty, or a list that repeats its single field. Left out of the hash then,
    so re-importing the same file after an upgrade still reports its applicants unchanged."""
    value = dumped[key]
    if value in (None, []):
        return True
    if key == "tracks_applied":
        return bool(value == dumped.get("tracks"))
    single = _REPEATS.get(key)
    return single is not None and value == [dumped.get(single)]


def searchable_columns(profile: ApplicantProfile) -> dict[str, Any]:
    """The typed columns `/soap find` searches, derived from the profile."""
    needs, _ = visa_need(profile)
    return {
        "first_name": profile.first_name[:200],
        "last_name": profile.last_name[:200],
        "degree_type": degree_type(profile),
        "graduation_year": graduation_year(profile),
        "visa_needed": True if needs else profile.visa_needed,  # None: the file does not say
        "exam_failures": exam_failures(profile),
        "states": sorted(states(profile)),
        "tracks": list(profile.tracks),
    }


# --- import -----------------------------------------------------------------------------------


ExportSource = ImportReport | str | Path | bytes | BinaryIO


def _read(source: ExportSource, filename: str | None, columns: Mapping[str, str] | None) -> ImportReport | str:
    if isinstance(source, ImportReport):
        return source
    try:
        return read_export(source, filename=filename, columns_mapping=columns)
    except (ExportFileError, ColumnsMappingError) as error:
        return str(error)
    except OSError as error:
        shown = filename or (str(source) if isinstance(source, str | Path) else "the file")
        return f"{shown}: cannot open the file ({error.strerror or type(error).__name__})"


def import_export(database: Database, program_id: int, source: ExportSource, *, actor: str, today: date,
                  dry_run: bool = False, filename: str | None = None,
                  columns: Mapping[str, str] | None = None, now: datetime | None = None) -> ImportResult:
    """Import an ERAS export (a read report, a path, bytes or a file object) into the program."""
    report = _read(source, filename, columns)
    if isinstance(report, str):
        shown = filename or (str(source)[:200] if isinstance(source, str | Path) else "the file")
        return ImportResult(filename=shown, problem=report, dry_run=dry_run)
    base = ImportResult(filename=report.filename, errors=list(report.errors),
                        unknown_columns=list(report.unknown_columns),
                        missing_required=list(report.missing_required),
                        ignored_columns=list(report.ignored_columns), notes=list(report.notes),
                        honor_phrases=list(report.honor_phrases), rules_off=list(report.rules_off),
                        data_rows=report.data_rows, dry_run=dry_run)
    if not base.ok:
        return base
    if is_plan_file(report.unknown_columns):  # its people have not all applied: never SOAP applicants
        return dataclasses.replace(base, problem=f"{report.filename} is a pre-SOAP plan (it has a Pre-SOAP column), "
                                                 "not an ERAS export: share it with the word `plan`, or run "
                                                 "`soapbot import-plan`.")
    if not report.rows:
        return dataclasses.replace(base, problem=f"{report.filename}: no applicant rows below the header")
    stamp = now or datetime.now(UTC)

    with database.transaction() as session:
        program = session.get(Program, program_id)
        if program is None:
            raise BadInput(f"No program with id {program_id}.")
        policy = policy_of(session, program_id)
        existing = {row.aamc_id: row for row in session.execute(
            select(Candidate.id, Candidate.aamc_id, Candidate.profile_hash, Candidate.thread_ts,
                   *[getattr(Candidate, name) for name in CONNECTION_COLUMNS])
            .where(Candidate.program_id == program_id))}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        unchanged = 0
        for imported in report.rows:
            profile = imported.profile
            dumped = profile.model_dump(mode="json")
            digest = profile_hash(dumped)
            added = {name for name, value in imported.flags.items() if value}
            old = existing.get(profile.aamc_id)
            if old is None:
                connections = Connections(**{name: name in added for name in CONNECTION_COLUMNS})
                inserts.append({
                    "program_id": program_id, "aamc_id": profile.aamc_id, **searchable_columns(profile),
                    "profile": dumped, "profile_hash": digest,
                    **{name: name in added for name in CONNECTION_COLUMNS},
                    **triage_values(profile, connections, policy, today),
                    "imported_at": stamp, "updated_at": stamp,
                })
                continue
            new_flags = {name for name in added if not getattr(old, name)}
            if old.profile_hash == digest and not new_flags:
                unchanged += 1
                continue
            flags = {name: bool(getattr(old, name)) or name in added for name in CONNECTION_COLUMNS}
            updates.append({
                "id": old.id, **searchable_columns(profile), "profile": dumped,
                "profile_hash": digest, **flags,
                **triage_values(profile, Connections(**flags), policy, today), "updated_at": stamp,
                "card_stale": old.thread_ts is not None,  # the clock redraws a posted card (cards.redraw)
            })
        result = dataclasses.replace(base, new=len(inserts), updated=len(updates), unchanged=unchanged,
                                     cards_to_redraw=sum(1 for row in updates if row["card_stale"]))
        if dry_run:
            session.rollback()
            return result
        if inserts:  # Core executemany: no ORM bookkeeping for thousands of new rows
            session.execute(insert(CANDIDATES), inserts)
        if updates:
            session.execute(update(Candidate), updates)
        if inserts:
            result = dataclasses.replace(result, from_plan=len(apply_plan(
                session, program_id, [row["aamc_id"] for row in inserts], actor=actor, today=today, now=stamp)))
        audit.record(session, program_id=program_id, actor=actor, action="candidates.import",
                     target=f"program:{program_id}",
                     after={"file_rows": report.data_rows, "new": result.new, "updated": result.updated,
                            "unchanged": result.unchanged, "unknown_columns": len(report.unknown_columns)})
        return result


# --- a file shared in the war room -----------------------------------------------------------

EXPORT_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".txt", ".tsv")
SLACK_FILE_HOSTS = frozenset({"files.slack.com"})


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a host the bot token may be sent to."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urlsplit(newurl).netloc not in self.allowed:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def export_files(files: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The shared files that look like an ERAS export (.csv, .xlsx…)."""
    return [f for f in files if str(f.get("name") or "").lower().endswith(EXPORT_SUFFIXES)]


def download_shared_file(client: WebClient, file: Mapping[str, Any], *, timeout: float = 30) -> tuple[str, bytes]:
    """The bytes of a file a person shared, fetched with the bot token.

    The token is only ever sent to Slack's file host or to the Web API host the client talks to
    (the local stand-in in tests and the console); anything else is refused.
    """
    name = str(file.get("name") or "export.csv")[:200]
    size = file.get("size")
    if isinstance(size, int) and size > MAX_FILE_BYTES:
        raise BadInput(f"{escape(name)} is {size // (1024 * 1024)} MB; an export should be under "
                       f"{MAX_FILE_BYTES // (1024 * 1024)} MB.")
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    api = urlsplit(client.base_url)
    allowed = SLACK_FILE_HOSTS | {api.netloc}
    parts = urlsplit(url)
    if not url or parts.netloc not in allowed or (parts.scheme != "https" and parts.netloc != api.netloc):
        raise BadInput(f"The bot cannot download {escape(name)} from Slack. Share the file again "
                       "(upload it from your computer, not as a link).")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})  # noqa: S310
    opener = urllib.request.build_opener(_SameHostRedirects(frozenset(allowed)))
    try:
        with opener.open(request, timeout=timeout) as response:
            data = response.read(MAX_FILE_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise BadInput(f"Slack did not hand over {escape(name)} ({type(error).__name__}); share it again "
                       "in a minute.") from None
    if len(data) > MAX_FILE_BYTES:
        raise BadInput(f"{escape(name)} is over {MAX_FILE_BYTES // (1024 * 1024)} MB; an export should be smaller.")
    if data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise BadInput("Slack answered with a sign-in page instead of the file: the app needs the `files:read` "
                       "scope (reinstall it from manifest.yml).")
    return name, data


def import_shared_file(room: WarRoom, program: ProgramRef, file: Mapping[str, Any], *, actor: str
                       ) -> ImportResult:
    """Download an export someone shared in the war room and import it (all or nothing)."""
    name, data = download_shared_file(room.client, file)
    return import_export(room.database, program.id, data, filename=name, actor=actor,
                         today=program_today(room.clock(), program.timezone), now=room.clock())


# --- finding one candidate --------------------------------------------------------------------

_AAMC = re.compile(r"^[0-9]{6,8}$")
MAX_MATCHES_SHOWN = 20


class SeveralCandidates(WarRoomError):
    """A name fragment matched more than one candidate; `matches` lists them (first 20)."""

    def __init__(self, fragment: str, matches: Sequence[CandidateRef], total: int) -> None:
        shown = "\n".join(f"• {escape(m.name)} ({m.aamc_id})" + (f", {escape(m.bucket)}" if m.bucket else "")
                           for m in matches[:MAX_MATCHES_SHOWN])
        more = f"\n…and {total - MAX_MATCHES_SHOWN} more" if total > MAX_MATCHES_SHOWN else ""
        super().__init__(f"“{escape(fragment)}” matches {total} candidates; use the AAMC ID:\n{shown}{more}")
        self.fragment = fragment
        self.matches = list(matches)
        self.total = total


def _name_of(first: str, last: str) -> str:
    return f"{first} {last}"


def _fold(text: str) -> str:
    """Case and accents folded, punctuation dropped: `nunez` finds Núñez, `o'brien` O’Brien."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s'-]", " ", plain).split())


def _squash(folded: str) -> str:
    """A folded name without apostrophes, hyphens and spaces: `obrien` finds O'Brien-McDonald and
    `smithjones` Smith-Jones, as people type them in a hurry."""
    return re.sub(r"[\s'-]", "", folded)


def _not_found(fragment: str, rows: Sequence[Any]) -> CandidateNotFound:
    key = fragment.strip()
    if re.fullmatch(r"[0-9]+", key):
        ids = {row.aamc_id: row for row in rows}
        close = difflib.get_close_matches(key.zfill(8), list(ids), n=3, cutoff=0.6)
        names = [f"{escape(_name_of(ids[c].first_name, ids[c].last_name))} ({c})" for c in close]
        what = f"No candidate has AAMC ID {escape(key)}"
    else:
        by_name: dict[str, Any] = {}
        for row in rows:
            by_name.setdefault(_fold(_name_of(row.first_name, row.last_name)), row)
        close = difflib.get_close_matches(_fold(key), list(by_name), n=3, cutoff=0.5)
        if not close:  # a last name alone compares better against last names
            last = {_fold(row.last_name): row for row in rows}
            close_last = difflib.get_close_matches(_fold(key), list(last), n=3, cutoff=0.6)
            close = [_fold(_name_of(last[c].first_name, last[c].last_name)) for c in close_last]
        names = [f"{escape(_name_of(by_name[c].first_name, by_name[c].last_name))} ({by_name[c].aamc_id})"
                 for c in close if c in by_name]
        what = f"No candidate matches “{escape(key[:80])}”"
    hint = f" Closest: {', '.join(names)}." if names else ""
    if not rows:
        hint = " No applicants are imported yet: share the ERAS export here with the word `import`."
    return CandidateNotFound(f"{what}.{hint}")


def lookup(session: Session, program_id: int, key: str) -> Candidate | list[CandidateRef]:
    """The candidate for an AAMC ID or a name fragment; a list when several match.

    Raises CandidateNotFound (with the closest names) when nothing matches.
    """
    key = " ".join(key.split())
    if not key:
        raise BadInput("Give an AAMC ID or part of a name, e.g. `/soap candidate 12345678`.")
    if _AAMC.match(key):
        found = session.scalar(select(Candidate).where(Candidate.program_id == program_id,
                                                       Candidate.aamc_id == key.zfill(8)))
        if found is not None:
            return found
    rows = session.execute(select(Candidate.id, Candidate.aamc_id, Candidate.first_name, Candidate.last_name,
                                  Candidate.bucket, Candidate.override_bucket, Candidate.profile)
                           .where(Candidate.program_id == program_id)
                           .order_by(Candidate.last_name, Candidate.first_name)).all()
    if not _AAMC.match(key):
        wanted = _fold(key)
        squashed = _squash(wanted)
        exact: list[Any] = []
        partial: list[Any] = []
        for row in rows:
            middle = (row.profile or {}).get("middle_name") or ""
            exported = (row.profile or {}).get("exported_name") or ""  # as the export wrote it
            forms = {_fold(_name_of(row.first_name, row.last_name)), _fold(f"{row.last_name}, {row.first_name}"),
                     _fold(f"{row.last_name} {row.first_name}"), _fold(f"{row.first_name} {middle} {row.last_name}"),
                     _fold(exported)} - {""}
            if wanted in forms:
                exact.append(row)
            elif any(wanted in form or squashed in _squash(form) for form in forms):
                partial.append(row)
        matches = exact or partial
        if len(matches) == 1:
            candidate = session.get(Candidate, matches[0].id)
            assert candidate is not None
            return candidate
        if matches:
            return [CandidateRef(r.id, r.aamc_id, _name_of(r.first_name, r.last_name),
                                 r.override_bucket or r.bucket) for r in matches]
    raise not_applied(session, program_id, key) or _not_found(key, rows)


def resolve_one(session: Session, program_id: int, key: str) -> Candidate:
    """Like `lookup`, but several matches are an error that lists them."""
    found = lookup(session, program_id, key)
    if isinstance(found, list):
        raise SeveralCandidates(key, found[:MAX_MATCHES_SHOWN], len(found))
    return found


# --- flags ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagResult:
    candidate_id: int
    aamc_id: str
    name: str
    label: str
    value: bool
    changed: bool
    bucket_before: str | None
    bucket_after: str | None


def set_flag(database: Database, *, program: ProgramRef, actor: str, candidate_key: str, word: str,
             value: bool, today: date) -> FlagResult:
    """`/soap flag <id> rotated|interviewed|home|contact|prelim|letters [off]`: audited; triage recomputed."""
    try:
        name = flag_field(word)
    except UnknownFlagError as error:
        raise BadInput(f"Nothing changed: {escape(str(error))}.") from None
    with database.transaction() as session:
        candidate = resolve_one(session, program.id, candidate_key)
        before = connections_of(candidate)
        after = apply_flag(before, word, value)
        label = CONNECTION_LABELS[name]
        effective_before = candidate.override_bucket or candidate.bucket
        if before == after:
            return FlagResult(candidate.id, candidate.aamc_id, _name_of(candidate.first_name, candidate.last_name),
                              label, value, False, effective_before, effective_before)
        setattr(candidate, name, value)
        session.flush()
        recompute(session, program.id, policy_of(session, program.id), today, [candidate.id])
        session.refresh(candidate)
        audit.record(session, program_id=program.id, actor=actor, action="candidates.flag",
                     target=f"candidate:{candidate.id}",
                     before={name: getattr(before, name), "bucket": effective_before},
                     after={name: value, "bucket": candidate.override_bucket or candidate.bucket})
        return FlagResult(candidate.id, candidate.aamc_id, _name_of(candidate.first_name, candidate.last_name),
                          label, value, True, effective_before, candidate.override_bucket or candidate.bucket)


# --- /soap find -------------------------------------------------------------------------------

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
        raise BadInput(f"`{escape(key)}` needs a whole number {low}–{high}, not “{escape(value)}”. {FIND_HELP}")
    return int(value)


def _unknown_filter(key: str) -> BadInput:
    close = difflib.get_close_matches(key, [*FILTER_NAMES, *_EXAM_WORDS, *_ALIASES], n=1, cutoff=0.6)
    guess = f" Did you mean `{escape(close[0])}`?" if close else ""
    return BadInput(f"Unknown filter `{escape(key[:40])}`; nothing was searched.{guess} The filters are "
                    + ", ".join(f"`{name}`" for name in FILTER_NAMES) + "; `/soap find help` shows an example of each.")


def _score(key: str, exam: str, op: str, value: str) -> ScoreFilter:
    if value in ("pass", "passed", "p"):
        if op != "=":
            raise BadInput(f"Use `{escape(key)}:pass` or `{escape(key)}:fail` for a result.")
        return ScoreFilter(exam, op, passed=True)
    if value in ("fail", "failed", "f"):
        if op != "=":
            raise BadInput(f"Use `{escape(key)}:pass` or `{escape(key)}:fail` for a result.")
        return ScoreFilter(exam, op, passed=False)
    if not re.fullmatch(r"[0-9]{1,3}", value) or not 1 <= int(value) <= 999:
        raise BadInput(f"`{escape(key)}` takes a score such as `{escape(key)}>=240`, or `{escape(key)}:pass` / "
                       f"`{escape(key)}:fail`; not “{escape(value[:40])}”.")
    return ScoreFilter(exam, op, score=int(value))


def parse_find(words: Sequence[str]) -> FindFilters:
    """Turn `step2>=240 grad>=2024 type:md visa:no state:OH voted:no` into filters.

    A word without `:`, `=`, `<` or `>` is part of a name; a word with one is a filter, and an unknown
    filter is an error naming the filters (never a name search that quietly finds nobody)."""
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
                raise BadInput(f"`visa:` is `visa:no` or `visa:yes`, not “{escape(value)}”.")
        elif key == "fails":
            found["fails"] = (op, _number("fails", value, 0, 20))
        elif key == "grad":
            found["grad"] = (op, _number("grad", value, 1940, 2100))
        elif key == "type":
            for part in value.split(","):
                types = _DEGREE_WORDS.get(re.sub(r"[^a-z]", "", part))
                if types is None:
                    raise BadInput(f"`type:` is one of md, do, img, us-img, non-us-img; not “{escape(part)}”.")
                lists["degree_types"].extend(t for t in types if t not in lists["degree_types"])
        elif key == "state":
            for part in value.split(","):
                code = part.strip().upper()
                if not re.fullmatch(r"[A-Z]{2}", code):
                    raise BadInput(f"`state:` takes 2-letter codes like `state:OH`, not “{escape(part)}”.")
                lists["states"].append(code)
        elif key == "flag":
            for part in value.split(","):
                try:
                    lists["flags"].append(flag_field(part))
                except UnknownFlagError as error:
                    raise BadInput(escape(str(error))) from None
        elif key == "bucket":
            try:
                lists["buckets"].append(Bucket.parse(value).value)
            except ValueError as error:
                raise BadInput(escape(str(error))) from None
        elif key == "risk":
            if value not in ("low", "elevated", "high"):
                raise BadInput(f"`risk:` is low, elevated or high, not “{escape(value)}”.")
            lists["risks"].append(value)
        elif key == "track":
            lists["tracks"].append(value[:64])
        elif key == "voted":
            if value in ("no", "n", "false", "not"):
                found["voted"] = False
            elif value in ("yes", "y", "true"):
                found["voted"] = True
            else:
                raise BadInput(f"`voted:` is `voted:no` (you have not voted yet) or `voted:yes`, "
                               f"not “{escape(value)}”.")
        elif key == "name":
            lists["names"].append(value[:80])
        else:
            raise _unknown_filter(match["key"])
    return FindFilters(visa=found.get("visa"), fails=found.get("fails"), grad=found.get("grad"),
                       degree_types=tuple(lists["degree_types"]), states=tuple(lists["states"]),
                       flags=tuple(lists["flags"]), buckets=tuple(lists["buckets"]), risks=tuple(lists["risks"]),
                       tracks=tuple(lists["tracks"]), names=tuple(lists["names"]), scores=tuple(lists["scores"]),
                       voted=found.get("voted"))


def track_matches(wanted: str, values: Sequence[str]) -> bool:
    """`track:` against an applicant's track values: a program code (`1234140C0`), a track label or
    specialty (`categorical`, `internal medicine`), or any part of the value as ERAS shows it."""
    key = _fold(wanted)
    for value in values:
        code = parse_track(value or "")
        if code is not None and (key == code.code.lower() or key in _fold(code.label)
                                 or key in _fold(code.specialty)):
            return True
        if key in _fold(value or ""):
            return True
    return False


def _compare(column: Any, op: str, value: int) -> ColumnElement[bool]:
    return {"=": column == value, ">=": column >= value, "<=": column <= value,
            ">": column > value, "<": column < value}[op]


def find(database: Database, program_id: int, filters: FindFilters, *, page: int = 1,
         per_page: int = 15, member: str | None = None) -> FindPage:
    """Candidates matching every filter, best effective bucket first, then by name.
    `member` is who asks (what `voted:` is about)."""
    eff = func.coalesce(Candidate.override_bucket, Candidate.bucket)
    conditions: list[ColumnElement[bool]] = [Candidate.program_id == program_id]
    if filters.visa is not None:
        conditions.append(Candidate.visa_needed.is_(True) if filters.visa
                          else or_(Candidate.visa_needed.is_(False), Candidate.visa_needed.is_(None)))
    if filters.fails:
        conditions.append(_compare(Candidate.exam_failures, *filters.fails))
    if filters.grad:
        conditions.append(_compare(Candidate.graduation_year, *filters.grad))
    if filters.degree_types:
        conditions.append(Candidate.degree_type.in_(filters.degree_types))
    for flag in filters.flags:
        conditions.append(getattr(Candidate, flag).is_(True))
    if filters.buckets:
        conditions.append(eff.in_(filters.buckets))
    if filters.risks:
        conditions.append(Candidate.risk.in_(filters.risks))
    if filters.voted is not None:
        voted = select(VoteRow.candidate_id).where(VoteRow.program_id == program_id, VoteRow.user_id == member)
        conditions.append(Candidate.id.in_(voted) if filters.voted else Candidate.id.not_in(voted))
    rank = {b.value: b.order for b in Bucket}
    with database.reading() as session:
        rows = session.execute(select(Candidate).where(and_(true(), *conditions))
                               .order_by(Candidate.last_name, Candidate.first_name, Candidate.aamc_id)
                               ).scalars().all()
        matched: list[Candidate] = []
        for row in rows:  # JSON list columns and names: filtered here, the same on every backend
            if filters.states and not set(filters.states) & set(row.states or []):
                continue
            if filters.tracks and not any(track_matches(t, row.tracks or []) for t in filters.tracks):
                continue
            if filters.scores and not all(score.holds((row.profile or {}).get("exams") or {})
                                          for score in filters.scores):
                continue
            if filters.names:
                name = _fold(_name_of(row.first_name, row.last_name))
                if not all(_fold(n) in name for n in filters.names):
                    continue
            matched.append(row)
        matched.sort(key=lambda c: rank.get(c.override_bucket or c.bucket or "", 99))
        pages = max(1, -(-len(matched) // per_page))
        page = min(max(1, page), pages)
        chosen = matched[(page - 1) * per_page: page * per_page]
        items = [FoundCandidate(c.aamc_id, _name_of(c.first_name, c.last_name), c.degree_type, c.graduation_year,
                                c.exam_failures, c.visa_needed, c.override_bucket or c.bucket, c.risk,
                                tuple(connections_of(c).labels())) for c in chosen]
    return FindPage(filters, items, len(matched), page, per_page)
