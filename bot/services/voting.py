"""Committee votes, members' own orderings and directors' pins: the inputs of the preference list.

Decisions (a program director's expectations, written down):
- One scale vote per member per candidate (rank high, rank, only if needed, do not rank), stored
  in `votes` with an upsert keyed by (candidate, member): ten members clicking at once never lose
  or double a vote, on SQLite and PostgreSQL. Voting again changes the vote; voting the same
  choice again changes nothing and records nothing.
- `/soap rank <id> <id> …` replaces the member's whole ordering (an ordering is one opinion, not a
  list of additions); `/soap rank clear` removes it. An unknown or repeated AAMC ID stores nothing
  and names every offending id.
- Pins are the directors' (own students, internal candidates): a pinned candidate goes first on
  the list whatever the votes (order among pins: see `bot.services.preference_list`).
- The card (seen by the whole channel) shows tallies per scale step, never who voted what; a
  director sees names with `/soap votes <id>` (ephemeral) or on a card rendered for a director,
  others the tally. With blind votes (the program's policy) the card shows only how many voted,
  and `/soap votes` shows a member the tally once they have voted (`bot.domain.votes.tally_view`).
- Every write is audited with before/after values; a candidate is named in audits by AAMC ID.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.domain.cards import CardSection, CardViewer
from bot.domain.preference_list import Ballot, Vote
from bot.domain.votes import (
    CandidateVotes,
    PinResult,
    RankingResult,
    VoteResult,
    VoteSource,
    VotesSeen,
    tally_view,
)
from bot.errors import BadInput, CandidateNotFound
from bot.messages import preference_list as messages
from bot.messages.mrkdwn import clip, escape
from bot.services import audit
from bot.services.candidate_lookup import SeveralCandidates, resolve_one
from bot.services.triage import policy_of
from storage.database import Database
from storage.models import Candidate, Program, Ranking
from storage.models import Vote as VoteRow

MAX_RANKED = 300  # more than any SOAP list (an ordered 20-40); guards against a pasted file
KEY_MAX = 120

def display_name(candidate: Candidate) -> str:
    """How the list names an applicant: "Last, First" (as the NRMP system lists applicants)."""
    last, first = candidate.last_name.strip(), candidate.first_name.strip()
    return f"{last}, {first}" if last and first else (last or first or candidate.aamc_id)


VOTE_WORDS = "`high` (rank high), `rank`, `if-needed` (only if needed), `dnr` (do not rank)"


def split_vote(words: Sequence[str]) -> tuple[str, Vote]:
    """`/soap vote <AAMC ID | name> <vote>`: the vote is the longest tail of words that reads as one
    (`rank high`, `if needed`), the candidate is everything before it (`Maria Núñez`)."""
    if len(words) < 2:
        raise BadInput("Use `/soap vote <AAMC ID or name> high|rank|if-needed|dnr`, like `/soap vote 12345678 high` "
                       "or `/soap vote Nunez high`.")
    for size in range(min(4, len(words) - 1), 0, -1):
        try:
            vote = Vote.parse(" ".join(words[-size:]))
        except ValueError:
            continue
        return " ".join(words[:-size]), vote
    raise BadInput(f"`{escape(clip(words[-1], 40))}` is not a vote. Use one of: {VOTE_WORDS}.")


def clean_key(text: str) -> str:
    """An AAMC ID or a name as typed (commas and semicolons around it dropped)."""
    value = " ".join(text.strip().strip(",;").split())
    if not value or len(value) > KEY_MAX:
        raise BadInput(f"`{escape(clip(value or text, 40))}` is neither an AAMC ID (8 digits, like `12345678`) "
                       "nor a name.")
    return value


def find_candidate(session: Session, program_id: int, key: str) -> Candidate:
    """The candidate for an AAMC ID or a name, resolved as `/soap candidate` does: several matches are an
    error listing them with their buckets, none an error naming the closest."""
    return resolve_one(session, program_id, clean_key(key))


# --------------------------------------------------------------------------- votes


def _upsert_vote(session: Session, values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT (candidate_id, user_id) DO UPDATE: atomic on both backends."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(VoteRow).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[VoteRow.candidate_id, VoteRow.user_id],
        set_={"choice": statement.excluded.choice, "source": statement.excluded.source,
              "updated_at": statement.excluded.updated_at, "program_id": statement.excluded.program_id},
    )
    session.execute(statement)


def stored_vote(choice: str | None) -> Vote | None:
    if choice is None:
        return None
    try:
        return Vote.parse(choice)
    except ValueError:
        return None


def tally(session: Session, candidate_id: int) -> dict[Vote, int]:
    counts = {vote: 0 for vote in Vote}
    rows = session.execute(select(VoteRow.choice, func.count()).where(VoteRow.candidate_id == candidate_id)
                           .group_by(VoteRow.choice))
    for choice, count in rows:
        vote = stored_vote(choice)
        if vote is not None:
            counts[vote] += int(count)
    return counts


def cast_vote(database: Database, *, program_id: int, actor: str, aamc_id: str, vote: Vote, now: datetime,
              source: VoteSource = VoteSource.VOTE) -> VoteResult:
    """Record `actor`'s vote on a candidate (one per member and candidate; a new vote replaces the old).
    `aamc_id` may also be a name (as typed in `/soap vote`)."""
    with database.transaction() as session:
        candidate = find_candidate(session, program_id, aamc_id)
        before = stored_vote(session.scalar(select(VoteRow.choice).where(
            VoteRow.candidate_id == candidate.id, VoteRow.user_id == actor)))
        if before is not vote:
            _upsert_vote(session, {"candidate_id": candidate.id, "user_id": actor, "program_id": program_id,
                                   "choice": vote.value, "source": source, "updated_at": now})
            audit.record(session, program_id=program_id, actor=actor, action="vote.cast",
                         target=f"candidate:{candidate.aamc_id}",
                         before={"choice": before.value} if before else None,
                         after={"choice": vote.value, "source": source})
        return VoteResult(candidate.id, candidate.aamc_id, display_name(candidate), before, vote,
                          tally(session, candidate.id))


def voters_by_step(session: Session, candidate_id: int) -> dict[Vote, list[str]]:
    """Who voted what on a candidate: each scale step with its members, in user-id order."""
    by_vote: dict[Vote, list[str]] = {vote: [] for vote in Vote}
    for user, choice in session.execute(select(VoteRow.user_id, VoteRow.choice).where(
            VoteRow.candidate_id == candidate_id).order_by(VoteRow.user_id)):
        vote = stored_vote(choice)
        if vote is not None:
            by_vote[vote].append(user)
    return by_vote


def candidate_votes(database: Database, *, program_id: int, aamc_id: str) -> CandidateVotes:
    with database.reading() as session:
        return _candidate_votes(session, program_id, find_candidate(session, program_id, aamc_id))


def _candidate_votes(session: Session, program_id: int, candidate: Candidate) -> CandidateVotes:
    by_vote = voters_by_step(session, candidate.id)
    ranked_at = {user: position for user, position in session.execute(
        select(Ranking.user_id, Ranking.position).where(Ranking.program_id == program_id,
                                                       Ranking.candidate_id == candidate.id))}
    return CandidateVotes(candidate.id, candidate.aamc_id, display_name(candidate), candidate.pinned_by,
                          {v: tuple(users) for v, users in by_vote.items()}, ranked_at)


def blind_votes(session: Session, program_id: int) -> bool:
    """Whether the program hides the tallies from a member until they vote (`/soap policy set blind_votes=yes`)."""
    return policy_of(session, program_id).blind_votes


def votes_seen(database: Database, *, program_id: int, aamc_id: str, viewer: str, director: bool,
               votes: bool) -> VotesSeen:
    """`/soap votes <applicant>` for `viewer`: names for a director, the tally for others, or (blind
    votes) only the count until the viewer has voted on or ranked the applicant. `votes`: whether the
    viewer's role votes at all (observers do not)."""
    with database.reading() as session:
        candidate = find_candidate(session, program_id, aamc_id)
        detail = _candidate_votes(session, program_id, candidate)
        voted = viewer in detail.ranked_at or any(viewer in users for users in detail.by_vote.values())
        view = tally_view(blind=blind_votes(session, program_id), director=director, votes=votes, has_voted=voted)
        return VotesSeen(detail, view)


# --------------------------------------------------------------------------- rankings


def lock_program_row(session: Session, program_id: int) -> None:
    """Serialise writers of one program's list (a row lock on PostgreSQL; SQLite serialises anyway)."""
    session.execute(select(Program.id).where(Program.id == program_id).with_for_update())


def parse_rank_keys(words: Sequence[str]) -> list[str]:
    """The candidates of `/soap rank`, best first: AAMC IDs or names separated by commas
    (`Alvarez, Chen, 12345678`); without a comma each word is one candidate (`1234 5678`)."""
    text = " ".join(words).replace(";", ",")
    parts = text.split(",") if "," in text else text.split()
    return [clean_key(part) for part in parts if part.strip()]


def resolve_all(session: Session, program_id: int, keys: Sequence[str]) -> list[Candidate]:
    """Every key resolved, or one error naming each key that is unknown or ambiguous."""
    found: list[Candidate] = []
    problems: list[str] = []
    for key in keys:
        try:
            found.append(find_candidate(session, program_id, key))
        except SeveralCandidates as error:
            names = ", ".join(f"{escape(m.name)} ({m.aamc_id})" for m in error.matches[:5])
            more = f" and {error.total - 5} more" if error.total > 5 else ""
            problems.append(f"“{escape(clip(key, 40))}” matches {error.total}: {names}{more}")
        except CandidateNotFound as error:
            problems.append(str(error).rstrip("."))
    if problems:
        raise CandidateNotFound("Nothing was stored; use AAMC IDs or fuller names and send the whole ordering "
                                "again.\n" + "\n".join(f"• {p}." for p in problems))
    return found


def distinct_ids(resolved: Sequence[Candidate], what: str) -> list[str]:
    """The AAMC IDs of an ordering or a ballot, in order; refused, naming them, when one appears twice."""
    ids = [c.aamc_id for c in resolved]
    found = {c.aamc_id: c for c in resolved}
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise BadInput(f"Each candidate can appear once in your {what}; repeated: "
                       + ", ".join(f"{escape(display_name(found[i]))} ({escape(i)})" for i in repeated)
                       + ". Nothing was stored.")
    return ids


def set_ranking(database: Database, *, program_id: int, actor: str, aamc_ids: Sequence[str]) -> RankingResult:
    """Replace `actor`'s own ordering (best first); each of `aamc_ids` may also be a name.
    Unknown, ambiguous or repeated candidates: nothing is stored."""
    keys = list(aamc_ids)
    if not keys:
        raise BadInput("List candidates best first, by AAMC ID or name: `/soap rank 12345678 23456789 34567890` "
                       "or `/soap rank Alvarez, Chen, Okafor` (or `/soap rank clear` to remove your ordering).")
    if len(keys) > MAX_RANKED:
        raise BadInput(f"That is {len(keys)} candidates; an ordering holds at most {MAX_RANKED}.")
    with database.transaction() as session:
        lock_program_row(session, program_id)
        resolved = resolve_all(session, program_id, keys)
        ids = distinct_ids(resolved, "ordering")
        found = {c.aamc_id: c for c in resolved}
        before = _ordering(session, program_id, actor)
        after = tuple(ids)
        if before != after:
            session.execute(delete(Ranking).where(Ranking.program_id == program_id, Ranking.user_id == actor))
            session.add_all(Ranking(program_id=program_id, user_id=actor, candidate_id=found[i].id, position=n)
                            for n, i in enumerate(ids, start=1))
            audit.record(session, program_id=program_id, actor=actor, action="ranking.set", target=f"user:{actor}",
                         before={"ordering": list(before)}, after={"ordering": list(after)})
        scale = {aamc: vote for aamc, choice in session.execute(
            select(Candidate.aamc_id, VoteRow.choice).join(VoteRow, VoteRow.candidate_id == Candidate.id).where(
                VoteRow.user_id == actor, Candidate.program_id == program_id, Candidate.aamc_id.in_(ids)))
            if (vote := stored_vote(choice)) is not None}
        contradictions = Ballot(member=actor, scale=scale, ordering=after).contradictions()
        return RankingResult(tuple((i, display_name(found[i])) for i in ids), before, contradictions)


def clear_ranking(database: Database, *, program_id: int, actor: str) -> int:
    """Remove `actor`'s own ordering; returns how many candidates it held."""
    with database.transaction() as session:
        before = _ordering(session, program_id, actor)
        if before:
            session.execute(delete(Ranking).where(Ranking.program_id == program_id, Ranking.user_id == actor))
            audit.record(session, program_id=program_id, actor=actor, action="ranking.clear", target=f"user:{actor}",
                         before={"ordering": list(before)}, after={"ordering": []})
        return len(before)


def _ordering(session: Session, program_id: int, user_id: str) -> tuple[str, ...]:
    return tuple(session.scalars(select(Candidate.aamc_id).join(Ranking, Ranking.candidate_id == Candidate.id).where(
        Ranking.program_id == program_id, Ranking.user_id == user_id).order_by(Ranking.position)))


# --------------------------------------------------------------------------- pins


def set_pin(database: Database, *, program_id: int, actor: str, aamc_id: str, pinned: bool) -> PinResult:
    """Pin (first on the list, whatever the votes) or unpin a candidate. Directors only (the router checks)."""
    with database.transaction() as session:
        candidate = find_candidate(session, program_id, aamc_id)
        before = candidate.pinned_by
        after = (before or actor) if pinned else None
        if before != after:
            candidate.pinned_by = after
            audit.record(session, program_id=program_id, actor=actor,
                         action="candidate.pin" if pinned else "candidate.unpin",
                         target=f"candidate:{candidate.aamc_id}", before={"pinned_by": before},
                         after={"pinned_by": after})
        return PinResult(candidate.id, candidate.aamc_id, display_name(candidate), before, after)


# --------------------------------------------------------------------------- the card's section

def votes_card_section(session: Session, candidate: Candidate, viewer: CardViewer) -> CardSection:
    """Tallies per scale step and the four vote buttons; names only for a director's (ephemeral) card.
    With blind votes the channel's card says how many voted, not how (one message is the same for
    everyone, so it cannot show a member the tally only after they voted: `/soap votes` does)."""
    by_vote = voters_by_step(session, candidate.id)
    view = tally_view(blind=blind_votes(session, candidate.program_id), director=viewer.is_director, votes=True,
                      has_voted=False)
    return messages.votes_card_section(candidate.aamc_id, candidate.pinned_by, by_vote, view, viewer.is_director)


