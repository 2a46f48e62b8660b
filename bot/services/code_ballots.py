"""A member's ballot for one program code: `/soap rank <code or label> <applicants…>`.

A preliminary year and a whole residency are judged differently (one year here against a whole
residency), so a member may order a code's applicants differently from their general ordering. On
that code's list their ballot is that ordering with their scale votes; a member who gave none for a
code counts with their general ballot (`bot.domain.preference_list.code_ballots`). `/soap rank <code>
clear` removes it. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain.preference_list import Ballot
from bot.domain.program_codes import matching
from bot.domain.votes import RankingResult
from bot.errors import BadInput
from bot.messages.mrkdwn import escape
from bot.services import audit, voting
from bot.services.preference_list import applied_codes, code_orderings, program_codes
from bot.services.voting import display_name, lock_program_row
from storage.database import Database
from storage.models import Candidate, CodeRanking
from storage.models import Vote as VoteRow

__all__ = ["rank"]


def _before(session: Session, program_id: int, actor: str, code: str) -> tuple[str, ...]:
    return tuple(code_orderings(session, program_id).get(code, {}).get(actor, ()))


def rank(database: Database, *, program_id: int, actor: str, words: Sequence[str]) -> RankingResult | int:
    """`/soap rank [code or label] <applicants…>` or `/soap rank [code] clear`: the member's general
    ordering, or their ballot for the code the first word names. `clear` returns how many it held."""
    with database.reading() as session:
        codes = program_codes(session, program_id)
    named = matching(codes.values(), words[0]) if codes and len(words) >= 2 else []
    if len(named) > 1:
        raise BadInput(f"`{escape(words[0])}` names {len(named)} codes ("
                       + ", ".join(escape(c.code) for c in named) + "); give the code itself.")
    if not named:
        if len(words) == 1 and words[0].casefold() == "clear":
            return voting.clear_ranking(database, program_id=program_id, actor=actor)
        return voting.set_ranking(database, program_id=program_id, actor=actor,
                                  aamc_ids=voting.parse_rank_keys(words))
    code = named[0]
    rest = words[1:]
    with database.transaction() as session:
        lock_program_row(session, program_id)
        before = _before(session, program_id, actor, code.code)
        if len(rest) == 1 and rest[0].casefold() == "clear":
            if before:
                session.execute(delete(CodeRanking).where(CodeRanking.program_id == program_id,
                                                          CodeRanking.user_id == actor, CodeRanking.code == code.code))
                audit.record(session, program_id=program_id, actor=actor, action="ranking.clear",
                             target=f"user:{actor}", before={"code": code.code, "ordering": list(before)},
                             after={"code": code.code, "ordering": []})
            return len(before)
        keys = voting.parse_rank_keys(rest)
        if len(keys) > voting.MAX_RANKED:
            raise BadInput(f"That is {len(keys)} candidates; an ordering holds at most {voting.MAX_RANKED}.")
        resolved = voting.resolve_all(session, program_id, keys)
        ids = voting.distinct_ids(resolved, "ballot")
        found = {c.aamc_id: c for c in resolved}
        elsewhere = [c for c in resolved if code.code not in applied_codes(c)]
        if elsewhere:
            raise BadInput(f"Not applicants to {escape(code.code)} {escape(code.label)}: "
                           + ", ".join(f"{escape(display_name(c))} ({escape(c.aamc_id)})" for c in elsewhere)
                           + ". Nothing was stored.")
        after = tuple(ids)
        if before != after:
            session.execute(delete(CodeRanking).where(CodeRanking.program_id == program_id,
                                                      CodeRanking.user_id == actor, CodeRanking.code == code.code))
            session.add_all(CodeRanking(program_id=program_id, user_id=actor, code=code.code,
                                        candidate_id=found[i].id, position=n) for n, i in enumerate(ids, start=1))
            audit.record(session, program_id=program_id, actor=actor, action="ranking.set", target=f"user:{actor}",
                         before={"code": code.code, "ordering": list(before)},
                         after={"code": code.code, "ordering": list(after)})
        scale = {aamc: vote for aamc, choice in session.execute(
            select(Candidate.aamc_id, VoteRow.choice).join(VoteRow, VoteRow.candidate_id == Candidate.id).where(
                VoteRow.user_id == actor, Candidate.program_id == program_id, Candidate.aamc_id.in_(ids)))
            if (vote := voting.stored_vote(choice)) is not None}
        contradictions = Ballot(member=actor, scale=scale, ordering=after).contradictions()
        return RankingResult(tuple((i, display_name(found[i])) for i in ids), before, contradictions, code.code,
                             str(code))

