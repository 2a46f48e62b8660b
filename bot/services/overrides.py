"""A director's triage override: the bucket one candidate is kept in, whatever the rules compute,
with the reason, until it is cleared (`/soap triage <id | name> <bucket> <reason>`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.access import ProgramRef
from bot.domain.triage import Bucket, OverrideSource, effective_bucket
from bot.errors import BadInput
from bot.messages.mrkdwn import escape
from bot.services import audit
from bot.services.candidate_lookup import resolve_one
from storage.database import Database

MAX_OVERRIDE_REASON = 500


@dataclass(frozen=True)
class OverrideResult:
    candidate_id: int
    aamc_id: str
    name: str
    computed: Bucket | None
    before: Bucket | None
    after: Bucket | None
    reason: str | None


def set_override(database: Database, *, program: ProgramRef, actor: str, candidate_key: str,
                 bucket_text: str | None, reason: str | None, now: datetime) -> OverrideResult:
    """A director's bucket for one candidate (`bucket_text=None` clears it). Kept until cleared."""
    bucket: Bucket | None = None
    if bucket_text is not None:
        try:
            bucket = Bucket.parse(bucket_text)
        except ValueError as error:
            raise BadInput(f"Nothing changed: {escape(str(error))}.") from None
        reason = " ".join((reason or "").split())
        if not reason:
            raise BadInput("Say why: `/soap triage <id> <bucket> <reason>`, e.g. "
                           "`/soap triage 12345678 interviewed we met her at the fall open house`.")
        if len(reason) > MAX_OVERRIDE_REASON:
            raise BadInput(f"The reason is {len(reason)} characters; keep it under {MAX_OVERRIDE_REASON}.")
    with database.transaction() as session:
        candidate = resolve_one(session, program.id, candidate_key)
        bucket_before = candidate.override_bucket
        before = {"override_bucket": bucket_before, "override_reason": candidate.override_reason,
                  "override_by": candidate.override_by}
        if bucket is None:
            if candidate.override_bucket is None:
                raise BadInput(f"{candidate.aamc_id} has no override to clear.")
            candidate.override_bucket = candidate.override_source = None
            candidate.override_reason = candidate.override_by = None
            candidate.override_at = None
        else:
            candidate.override_bucket, candidate.override_reason = bucket, reason
            candidate.override_source = OverrideSource.DIRECTOR
            candidate.override_by, candidate.override_at = actor, now
        audit.record(session, program_id=program.id, actor=actor,
                     action="triage.override" if bucket else "triage.override_clear",
                     target=f"candidate:{candidate.id}", before=before,
                     after={"override_bucket": candidate.override_bucket,
                            "override_reason": candidate.override_reason, "override_by": candidate.override_by,
                            "computed_bucket": candidate.bucket})
        return OverrideResult(candidate.id, candidate.aamc_id, f"{candidate.first_name} {candidate.last_name}",
                              candidate.bucket, effective_bucket(candidate.bucket, bucket_before),
                              effective_bucket(candidate.bucket, candidate.override_bucket), candidate.override_reason)
