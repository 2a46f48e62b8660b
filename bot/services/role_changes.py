"""A role change and what it did to the preference list.

An observer's ballot is kept but does not count (`bot.services.preference_list`), and the first
director's ballot breaks ties; so making someone an observer, a member again or a director can
move candidates on or off the list. A director who does that is told which ballots stopped or
started counting and what changed in the list, instead of finding out at the lock.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from bot.access import ProgramRef
from bot.domain.role_change import ListedCandidate, RoleChange
from bot.domain.roles import Role
from bot.services import preference_list, programs
from storage.database import Database
from storage.models import Ranking, Vote


def _places(database: Database, program_id: int, committee: Iterable[str]) -> dict[str, tuple[int, str]]:
    current = preference_list.current_list(database, program_id, committee)
    return {line.aamc_id: (position, line.name) for position, line in enumerate(current.lines)}


def change_role(database: Database, *, program: ProgramRef, actor: str, user_id: str, role: Role,
                members: frozenset[str], committee: Iterable[str]) -> RoleChange:
    """Set the role (see `programs.set_role`) and report its ballots and the list before and after.
    `committee` is who counts for the list (the war room's people, as `/soap list` uses)."""
    people = set(committee)
    list_before = _places(database, program.id, people)
    before, after = programs.set_role(database, program=program, actor=actor, user_id=user_id, role=role,
                                      members=members)
    if before is after:
        return RoleChange(user_id, before.value, after.value)
    with database.reading() as session:
        votes = session.scalar(select(func.count()).select_from(Vote).where(
            Vote.program_id == program.id, Vote.user_id == user_id)) or 0
        ranked = session.scalar(select(func.count()).select_from(Ranking).where(
            Ranking.program_id == program.id, Ranking.user_id == user_id)) or 0
    list_after = _places(database, program.id, people)
    left = tuple(ListedCandidate(a, name) for a, (_, name) in list_before.items() if a not in list_after)
    joined = tuple(ListedCandidate(a, name) for a, (_, name) in list_after.items() if a not in list_before)
    kept = [a for a in list_before if a in list_after]
    order_before = sorted(kept, key=lambda a: list_before[a][0])
    order_after = sorted(kept, key=lambda a: list_after[a][0])
    moved = sum(1 for x, y in zip(order_before, order_after, strict=True) if x != y)
    return RoleChange(user_id, before.value, after.value, int(votes), int(ranked), left, joined, moved)
