"""`/soap find`: the candidates matching every filter (read from the words by
``bot.domain.find_words.parse_find``), best effective bucket first, a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.candidate_search import FindFilters, FindPage, FoundCandidate
from bot.domain.names import fold_name, full_name
from bot.domain.program_codes import parse_track
from bot.domain.triage import Bucket, effective_bucket
from bot.services.triage import connections_of
from storage.database import Database
from storage.models import Candidate
from storage.models import Vote as VoteRow


def track_matches(wanted: str, values: Sequence[str]) -> bool:
    """`track:` against an applicant's track values: a program code (`1234140C0`), a track label or
    specialty (`categorical`, `internal medicine`), or any part of the value as ERAS shows it."""
    key = fold_name(wanted)
    for value in values:
        code = parse_track(value or "")
        if code is not None and (key == code.code.lower() or key in fold_name(code.label)
                                 or key in fold_name(code.specialty)):
            return True
        if key in fold_name(value or ""):
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
                name = fold_name(full_name(row.first_name, row.last_name))
                if not all(fold_name(n) in name for n in filters.names):
                    continue
            matched.append(row)
        matched.sort(key=lambda c: rank.get(effective_bucket(c.bucket, c.override_bucket) or "", 99))
        pages = max(1, -(-len(matched) // per_page))
        page = min(max(1, page), pages)
        chosen = matched[(page - 1) * per_page: page * per_page]
        items = [FoundCandidate(c.aamc_id, full_name(c.first_name, c.last_name), c.degree_type, c.graduation_year,
                                c.exam_failures, c.visa_needed, effective_bucket(c.bucket, c.override_bucket), c.risk,
                                tuple(connections_of(c).labels())) for c in chosen]
    return FindPage(filters, items, len(matched), page, per_page)
