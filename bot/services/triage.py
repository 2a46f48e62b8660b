"""Triage in storage: the program's policy, buckets kept in step with it, and the director's overrides.

Decisions (written down for the committee):
- The policy lives in `programs.policy` as the TriagePolicy JSON; an empty dict means the defaults.
- Stored per candidate: the *computed* bucket, the risk and every reason (bucket reasons, risk
  reasons, offsets, as `{"kind": ..., "text": ...}`). The director's override is stored apart
  (`override_*`) and always wins; recomputing never touches it, so it survives re-imports and
  policy changes until a director clears it.
- Buckets are recomputed for the whole program in the same transaction as a policy change, and
  for the imported rows in the import's transaction. "Moved" counts compare *effective* buckets
  (an overridden candidate does not move).
- Every write records an audit event with before/after values (counts, never names).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.access import ProgramRef
from bot.domain.candidates import ApplicantProfile, Connections
from bot.domain.triage import Bucket, PolicyError, Risk, TriagePolicy, effective_bucket, triage
from bot.domain.triage_summary import BucketPreview, Move, TriageSummary
from bot.errors import BadInput
from bot.messages.mrkdwn import escape
from bot.services import audit
from storage.database import Database
from storage.models import Candidate, ListEntry, ListSnapshot, Program, Ranking
from storage.models import Vote as VoteRow

CONNECTION_COLUMNS: tuple[str, ...] = (
    "home_student", "rotated_here", "interviewed", "prior_contact", "prelim_here", "strong_letters",
)  # fmt: skip


# --- pure helpers -----------------------------------------------------------------------------


def triage_values(profile: ApplicantProfile, connections: Connections, policy: TriagePolicy,
                  today: date) -> dict[str, Any]:
    """The stored triage columns for one applicant (bucket, risk, triage_reasons)."""
    result = triage(profile, connections, policy, today)
    reasons = ([{"kind": "bucket", "text": text} for text in result.reasons]
               + [{"kind": "risk", "text": text} for text in result.risk_reasons]
               + [{"kind": "offset", "text": text} for text in result.offsets])
    return {"bucket": result.bucket.value, "risk": result.risk.value, "triage_reasons": reasons}


def reasons_of(stored: Iterable[Any], kind: str) -> list[str]:
    return [str(item.get("text")) for item in stored if isinstance(item, dict) and item.get("kind") == kind]


def connections_of(row: Any) -> Connections:
    """Connections from a Candidate (or any row with the flag columns)."""
    return Connections(**{name: bool(getattr(row, name)) for name in CONNECTION_COLUMNS})


def policy_from_json(data: Mapping[str, Any] | None) -> TriagePolicy:
    return TriagePolicy.model_validate(dict(data or {}))


# --- reading ----------------------------------------------------------------------------------


def policy_of(session: Session, program_id: int) -> TriagePolicy:
    program = session.get(Program, program_id)
    return policy_from_json(program.policy if program else None)


def program_policy(database: Database, program_id: int) -> TriagePolicy:
    with database.reading() as session:
        return policy_of(session, program_id)


def summary(database: Database, program_id: int, *, per_bucket: int = 5, page: int = 1) -> TriageSummary:
    """Counts per effective bucket and the page-th few of each (best risk first, then by name)."""
    page = max(1, page)
    with database.reading() as session:
        rows = session.execute(
            select(Candidate.aamc_id, Candidate.first_name, Candidate.last_name, Candidate.risk,
                   Candidate.bucket, Candidate.override_bucket)
            .where(Candidate.program_id == program_id)
            .order_by(Candidate.last_name, Candidate.first_name, Candidate.aamc_id)).all()
    counts: dict[Bucket, int] = {b: 0 for b in Bucket}
    members: dict[Bucket, list[BucketPreview]] = {b: [] for b in Bucket}
    untriaged = overridden = 0
    risk_order = {Risk.LOW: 0, Risk.ELEVATED: 1, Risk.HIGH: 2}
    for row in rows:
        bucket = effective_bucket(row.bucket, row.override_bucket)
        if bucket is None:
            untriaged += 1
            continue
        counts[bucket] += 1
        overridden += row.override_bucket is not None
        members[bucket].append(BucketPreview(row.aamc_id, f"{row.first_name} {row.last_name}", row.risk,
                                             row.override_bucket is not None))
    first: dict[Bucket, list[BucketPreview]] = {}
    start = (page - 1) * per_bucket
    for bucket, previews in members.items():
        previews.sort(key=lambda p: risk_order.get(p.risk, 3) if p.risk else 3)  # stable: names stay sorted per risk
        first[bucket] = previews[start:start + per_bucket]
    return TriageSummary(counts, first, overridden, untriaged, page, per_bucket)


# --- recomputing ------------------------------------------------------------------------------


def recompute(session: Session, program_id: int, policy: TriagePolicy, today: date,
              candidate_ids: Iterable[int] | None = None) -> list[Move]:
    """Recompute stored triage (all of the program, or `candidate_ids`); bulk-update what changed.

    Returns the effective-bucket moves (overridden candidates never move).
    """
    query = select(Candidate.id, Candidate.aamc_id, Candidate.first_name, Candidate.last_name, Candidate.profile,
                   Candidate.bucket, Candidate.risk, Candidate.triage_reasons,
                   Candidate.override_bucket, *[getattr(Candidate, name) for name in CONNECTION_COLUMNS]
                   ).where(Candidate.program_id == program_id)
    wanted: set[int] | None = None
    if candidate_ids is not None:
        wanted = set(candidate_ids)
        if not wanted:
            return []
        if len(wanted) <= 500:
            query = query.where(Candidate.id.in_(wanted))
    changes: list[dict[str, Any]] = []
    moves: list[Move] = []
    for row in session.execute(query):
        if wanted is not None and row.id not in wanted:
            continue
        values = triage_values(ApplicantProfile.model_validate(row.profile), connections_of(row), policy, today)
        if (values["bucket"], values["risk"], values["triage_reasons"]) != (row.bucket, row.risk,
                                                                           row.triage_reasons):
            changes.append({"id": row.id, **values})
            if row.override_bucket is None and values["bucket"] != row.bucket:
                moves.append(Move(row.bucket, values["bucket"], row.id, row.aamc_id,
                                  f"{row.first_name} {row.last_name}".strip()))
    if changes:
        session.execute(update(Candidate), changes)
    return moves


def on_lists(session: Session, program_id: int, candidate_ids: Iterable[int]) -> dict[int, str]:
    """Where each of `candidate_ids` is on a preference list: a locked round's list first, else the
    current list (someone voted on, ranked or pinned them). Candidates on no list are left out."""
    wanted = set(candidate_ids)
    if not wanted:
        return {}
    found: dict[int, str] = {}
    for candidate_id, round_number in session.execute(
            select(ListEntry.candidate_id, ListSnapshot.round)
            .join(ListSnapshot, ListSnapshot.id == ListEntry.snapshot_id)
            .where(ListSnapshot.program_id == program_id, ListSnapshot.unlocked_at.is_(None),
                   ListEntry.candidate_id.in_(wanted)).order_by(ListSnapshot.round)):
        if candidate_id is not None:
            found.setdefault(candidate_id, f"round {round_number}'s locked list")
    current = set(session.scalars(select(VoteRow.candidate_id).where(VoteRow.program_id == program_id,
                                                                    VoteRow.candidate_id.in_(wanted))))
    current |= set(session.scalars(select(Ranking.candidate_id).where(Ranking.program_id == program_id,
                                                                     Ranking.candidate_id.in_(wanted))))
    current |= set(session.scalars(select(Candidate.id).where(Candidate.id.in_(wanted),
                                                              Candidate.pinned_by.is_not(None))))
    for candidate_id in current:
        found.setdefault(candidate_id, "the current list")
    return found


# --- policy -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyChange:
    before: TriagePolicy
    after: TriagePolicy
    moves: list[Move] = field(default_factory=list)
    cards_to_redraw: int = 0  # posted cards the clock redraws (blind votes switched on or off)

    @property
    def changed_keys(self) -> list[str]:
        old, new = self.before.model_dump(), self.after.model_dump()
        return [key for key in new if old[key] != new[key]]


def set_policy(database: Database, *, program: ProgramRef, actor: str, pairs: Mapping[str, str],
               today: date) -> PolicyChange:
    """Apply `key=value` settings a director typed; recompute every bucket in the same transaction."""
    if not pairs:
        raise BadInput("Give at least one setting, e.g. `/soap policy set visas=J-1 max_failures=1`. "
                       "`/soap policy` lists the settings.")
    with database.transaction() as session:
        row = session.get(Program, program.id)
        if row is None:
            raise BadInput("This war room's program no longer exists.")
        before = policy_from_json(row.policy)
        try:
            after = before.set_from_text(dict(pairs))
        except PolicyError as error:
            raise BadInput(f"Nothing changed: {escape(str(error))}.") from None
        except ValueError as error:  # pydantic range checks
            raise BadInput(f"Nothing changed: {escape(_first_line(error))}") from None
        change = PolicyChange(before, after)
        if not change.changed_keys:
            return change
        row.policy = after.model_dump(mode="json")
        moves = recompute(session, program.id, after, today)
        listed = on_lists(session, program.id, [move.candidate_id for move in moves])
        moves = [dataclasses.replace(move, on_list=listed.get(move.candidate_id)) for move in moves]
        cards = 0
        if before.blind_votes != after.blind_votes:  # every posted card shows the tallies, or stops showing them
            cards = int(getattr(session.execute(
                update(Candidate).where(Candidate.program_id == program.id, Candidate.thread_ts.is_not(None))
                .values(card_stale=True).execution_options(synchronize_session=False)), "rowcount", 0) or 0)
        audit.record(session, program_id=program.id, actor=actor, action="triage.policy",
                     target=f"program:{program.id}",
                     before=before.model_dump(mode="json"),
                     after={**after.model_dump(mode="json"), "moved": len(moves)})
        return PolicyChange(before, after, moves, cards)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


# --- overrides --------------------------------------------------------------------------------

