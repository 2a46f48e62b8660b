"""The check shown before a round's lists are locked: gathered here, judged by `bot.domain.lock_check`.

It reads the committee's current lists (`bot.services.preference_list.current_list`), the votes and
concern notes of the applicants on them, and who R3 would offer to (`bot.services.projection.next_round`),
and locks nothing: the director's **Lock** button (or `/soap list lock <round> confirm`) does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select

from bot.domain.lock_check import ListedApplicant, LockCheck, warnings_for
from bot.domain.notes import Sentiment
from bot.domain.triage import Bucket
from bot.errors import WarRoomError
from bot.services import preference_list, projection, round_status
from storage.database import Database
from storage.models import Candidate, ReferenceNote, Vote

CONCERNS = (Sentiment.CONCERN.value, Sentiment.ADVISES_AGAINST.value)


def _reasons(candidate: Candidate) -> tuple[str, ...]:
    """Why the applicant is in their bucket: the bucket's own reasons (risk factors and offsets are
    the card's business; "2 exam failures (max 1); 2 exam failures" says one thing twice)."""
    reasons = [r for r in (candidate.triage_reasons or [])
               if not isinstance(r, dict) or r.get("kind") not in ("risk", "offset")]
    return tuple(text for r in reasons if (text := str(r.get("text", "") if isinstance(r, dict) else r).strip()))


def check(database: Database, *, program_id: int, round_number: int, code: str | None,
          committee: Iterable[str], now: datetime) -> LockCheck:
    """What a director must know before locking round `round_number` (one code's list, or every list
    of the round not locked yet)."""
    members = set(committee)
    with database.reading() as session:
        preference_list.check_round(session, program_id, round_number)
    current = preference_list.current_list(database, program_id, members)
    lists = [preference_list.pick_list(current, code)] if code is not None else list(current.lists)
    locked = {lock.code for lock in current.locks if lock.round == round_number}
    lists = [listed for listed in lists if listed.code not in locked and listed.lines]
    lines = [(listed.code, line) for listed in lists for line in listed.lines]
    ids = sorted({line.candidate_id for _, line in lines})
    with database.reading() as session:
        candidates = {c.id: c for c in session.scalars(select(Candidate).where(Candidate.id.in_(ids)))}
        last_vote = dict(session.execute(select(Vote.candidate_id, func.max(Vote.updated_at))
                                         .where(Vote.candidate_id.in_(ids)).group_by(Vote.candidate_id)).all())
        last_concern = dict(session.execute(
            select(ReferenceNote.candidate_id, func.max(ReferenceNote.created_at))
            .where(ReferenceNote.candidate_id.in_(ids), ReferenceNote.sentiment.in_(CONCERNS))
            .group_by(ReferenceNote.candidate_id)).all())
    listed: list[ListedApplicant] = []
    for list_code, line in lines:
        candidate = candidates[line.candidate_id]
        do_not_rank = line.bucket == Bucket.DO_NOT_RANK.value
        listed.append(ListedApplicant(
            rank=line.rank, code=list_code, aamc_id=line.aamc_id, name=line.name, bucket=line.bucket,
            bucket_reasons=_reasons(candidate) if do_not_rank else (),
            dealbreakers=(line.binding,) if line.binding and not do_not_rank else (),
            last_concern_at=last_concern.get(line.candidate_id), last_vote_at=last_vote.get(line.candidate_id)))
    not_voted: Counter[str] = Counter()
    for candidate_id in ids:
        line = next(line for _, line in lines if line.candidate_id == candidate_id)
        not_voted.update(line.not_voted)
    try:
        projected = projection.next_round(database, program_id, now, round_number, members)
        wanted = {listed_code.code for listed_code in lists}
        offer_lines = tuple((c.title, tuple(o.name for o in c.offers)) for c in projected.codes
                            if not wanted - {None} or c.code in wanted)
    except WarRoomError:  # no positions set yet: nothing to project
        offer_lines = ()
    timing = round_status.timing(database, program_id, round_number, now)
    return LockCheck(round=round_number, code=lists[0].code if code is not None and lists else None,
                     lists=tuple((x.title, len(x.lines)) for x in lists),
                     not_voted=tuple(sorted(not_voted.items(), key=lambda item: (-item[1], item[0]))),
                     listed_total=len(ids), warnings=warnings_for(listed), offers=offer_lines,
                     after_deadline=timing.deadline_passed)
