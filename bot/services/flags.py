"""`/soap flag`: what the committee knows about an applicant that ERAS does not hold (rotated here,
interviewed, home student…), set or cleared, audited, and the applicant's triage recomputed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.access import ProgramRef
from bot.domain.candidates import CONNECTION_LABELS, UnknownFlagError, apply_flag, flag_field
from bot.domain.names import full_name
from bot.domain.triage import effective_bucket
from bot.errors import BadInput
from bot.messages.mrkdwn import escape
from bot.services import audit
from bot.services.candidate_lookup import resolve_one
from bot.services.triage import connections_of, policy_of, recompute
from storage.database import Database


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
        effective_before = effective_bucket(candidate.bucket, candidate.override_bucket)
        if before == after:
            return FlagResult(candidate.id, candidate.aamc_id, full_name(candidate.first_name, candidate.last_name),
                              label, value, False, effective_before, effective_before)
        setattr(candidate, name, value)
        session.flush()
        recompute(session, program.id, policy_of(session, program.id), today, [candidate.id])
        session.refresh(candidate)
        audit.record(session, program_id=program.id, actor=actor, action="candidates.flag",
                     target=f"candidate:{candidate.id}",
                     before={name: getattr(before, name), "bucket": effective_before},
                     after={name: value, "bucket": effective_bucket(candidate.bucket, candidate.override_bucket)})
        return FlagResult(candidate.id, candidate.aamc_id, full_name(candidate.first_name, candidate.last_name),
                          label, value, True, effective_before,
                          effective_bucket(candidate.bucket, candidate.override_bucket))

