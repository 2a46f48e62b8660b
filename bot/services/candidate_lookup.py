"""Finding one candidate by AAMC ID or by a name as people type it (accents, apostrophes and
hyphens optional); when nothing matches, the closest names, or why someone in the plan has no card."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.candidate_search import CandidateRef
from bot.domain.names import fold_name, full_name, squash_name
from bot.domain.triage import effective_bucket
from bot.errors import BadInput, CandidateNotFound, WarRoomError
from bot.messages.mrkdwn import escape
from bot.services.plan import not_applied
from storage.database import Database
from storage.models import Candidate

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



def _not_found(fragment: str, rows: Sequence[Any]) -> CandidateNotFound:
    key = fragment.strip()
    if re.fullmatch(r"[0-9]+", key):
        ids = {row.aamc_id: row for row in rows}
        close = difflib.get_close_matches(key.zfill(8), list(ids), n=3, cutoff=0.6)
        names = [f"{escape(full_name(ids[c].first_name, ids[c].last_name))} ({c})" for c in close]
        what = f"No candidate has AAMC ID {escape(key)}"
    else:
        by_name: dict[str, Any] = {}
        for row in rows:
            by_name.setdefault(fold_name(full_name(row.first_name, row.last_name)), row)
        close = difflib.get_close_matches(fold_name(key), list(by_name), n=3, cutoff=0.5)
        if not close:  # a last name alone compares better against last names
            last = {fold_name(row.last_name): row for row in rows}
            close_last = difflib.get_close_matches(fold_name(key), list(last), n=3, cutoff=0.6)
            close = [fold_name(full_name(last[c].first_name, last[c].last_name)) for c in close_last]
        names = [f"{escape(full_name(by_name[c].first_name, by_name[c].last_name))} ({by_name[c].aamc_id})"
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
        wanted = fold_name(key)
        squashed = squash_name(wanted)
        exact: list[Any] = []
        partial: list[Any] = []
        for row in rows:
            middle = (row.profile or {}).get("middle_name") or ""
            exported = (row.profile or {}).get("exported_name") or ""  # as the export wrote it
            forms = {fold_name(full_name(row.first_name, row.last_name)),
                     fold_name(f"{row.last_name}, {row.first_name}"), fold_name(f"{row.last_name} {row.first_name}"),
                     fold_name(f"{row.first_name} {middle} {row.last_name}"), fold_name(exported)} - {""}
            if wanted in forms:
                exact.append(row)
            elif any(wanted in form or squashed in squash_name(form) for form in forms):
                partial.append(row)
        matches = exact or partial
        if len(matches) == 1:
            candidate = session.get(Candidate, matches[0].id)
            assert candidate is not None
            return candidate
        if matches:
            return [CandidateRef(r.id, r.aamc_id, full_name(r.first_name, r.last_name),
                                 effective_bucket(r.bucket, r.override_bucket)) for r in matches]
    raise not_applied(session, program_id, key) or _not_found(key, rows)


def resolve_one(session: Session, program_id: int, key: str) -> Candidate:
    """Like `lookup`, but several matches are an error that lists them."""
    found = lookup(session, program_id, key)
    if isinstance(found, list):
        raise SeveralCandidates(key, found[:MAX_MATCHES_SHOWN], len(found))
    return found



#: A name typed in a command is at most this many words (`Mary Ann de la Cruz` is five, and the
#: shortest part that still finds one applicant is enough).
MAX_NAME_WORDS = 5


def leading_applicant(database: Database, program_id: int, words: Sequence[str], *,
                      rest_fits: Callable[[Sequence[str]], bool] = lambda rest: True) -> tuple[str, int]:
    """How many of the first `words` name one applicant, as `(key, count)`: an AAMC ID, or a name of up
    to MAX_NAME_WORDS words (`/soap ref Arjun Kowalski called her PD …`). The longest prefix that finds
    exactly one applicant and leaves words `rest_fits` accepts wins; with none, the first word alone
    (its lookup then says what it matches), so every applicant-taking command reads names alike."""
    if not words:
        return "", 0
    if _AAMC.match(words[0]):
        return words[0], 1
    with database.reading() as session:
        for count in range(min(MAX_NAME_WORDS, len(words)), 1, -1):
            if not rest_fits(words[count:]):
                continue
            key = " ".join(words[:count])
            try:
                found = lookup(session, program_id, key)
            except WarRoomError:
                continue
            if not isinstance(found, list):
                return key, count
    return words[0], 1
