"""The chair's report: the week's outcome, the one artifact a program keeps after the purge (plain values).

What it holds, and nothing else (docs/security.md repeats this list):
- per program code: positions, filled and open;
- per round: per code, the list R3 used (the last one recorded as certified in R3 by the round's
  deadline, `bot.domain.r3_rounds.list_used`) and the round's own list (locked here? certified?),
  with how many names each held; the round's offers counted by outcome; who accepted (name, AAMC ID);
- counts of applicants imported, reviewed, voted on, interviewed and unseen; reference notes and
  interviews per committee member (Slack user ids);
- when the last position filled;
- the week's missed deadlines (a round's deadline with no list certified for it) and the alarms
  and reminders the bot posted late or could not post.

Beyond the accepted applicants' names and AAMC IDs it names no applicant: offers that were declined
or expired are counts, the lists are sizes, never their names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["AcceptedApplicant", "ChairReport", "CodeLine", "CodeRound", "MemberWork", "RoundLine", "WeekEvent"]


@dataclass(frozen=True)
class CodeLine:
    """One program code's positions at the time of the report."""

    title: str  # `1234140C0 Categorical`, or the track name of a program without codes
    total: int
    filled: int
    open: int


@dataclass(frozen=True)
class CodeRound:
    """One code's list in one round."""

    title: str
    used_from_round: int | None  # the round whose certified list R3 used; None: no certified list
    used_size: int  # names on the list R3 used
    locked: bool  # this round's own list locked in the war room
    certified: bool  # ... and recorded as certified in R3
    locked_size: int  # names on this round's own locked list (0 when none)


@dataclass(frozen=True)
class AcceptedApplicant:
    name: str  # "Last, First", as the lists show it
    aamc_id: str
    code: str  # the program code (or track) of the position
    round: int


@dataclass(frozen=True)
class RoundLine:
    number: int
    deadline: datetime | None
    lists: tuple[CodeRound, ...]
    offers: dict[str, int]  # outcome (offered, accepted, rejected, expired) -> how many
    accepted: tuple[AcceptedApplicant, ...]
    ran: bool = True  # False: its deadline was still ahead when the report was made


@dataclass(frozen=True)
class MemberWork:
    user_id: str
    notes: int
    interviews: int  # interviews this member did (state done)


@dataclass(frozen=True)
class WeekEvent:
    """A missed deadline, an alarm posted, or a reminder that went out late or not at all."""

    at: datetime
    what: str


@dataclass(frozen=True)
class ChairReport:
    program_name: str
    timezone: str  # times are shown in the program's zone
    made_at: datetime
    codes: tuple[CodeLine, ...]
    rounds: tuple[RoundLine, ...]
    imported: int
    reviewed: int  # opened, voted on, ranked, noted or interviewed by a member
    voted_on: int
    interviewed: int
    unseen: int  # eligible applicants nobody opened, voted on, noted or interviewed
    members: tuple[MemberWork, ...]
    last_filled_at: datetime | None  # when the last position filled; None while one is open
    events: tuple[WeekEvent, ...]

    @property
    def accepted(self) -> tuple[AcceptedApplicant, ...]:
        return tuple(a for line in self.rounds for a in line.accepted)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.codes)

    @property
    def filled(self) -> int:
        return sum(min(c.filled, c.total) for c in self.codes)
