"""What a committee member's App Home shows, as plain values (the home service assembles it from
the features; `bot.messages.home` draws it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock_health import ClockSight
from bot.domain.lists import CodeList, ListLine
from bot.domain.offers import CodeStatus
from bot.domain.reminders import ListState
from bot.domain.soap_calendar import CalendarEvent


@dataclass(frozen=True)
class Dashboard:
    program_name: str
    timezone: str  # the program's: times are shown in it
    votes: bool  # False for observers: they read everything and do not vote
    tracks: tuple[CodeStatus, ...]
    next_deadline: CalendarEvent | None
    next_event: CalendarEvent | None
    missing: tuple[ListLine, ...]  # every missing vote, list order (the builder shows the first few)
    top: tuple[ListLine, ...]
    list_size: int
    locked_lists: tuple[tuple[int, str | None], ...]  # (round, program code) of each locked list
    # Each round ahead: its lists locked here? certified in R3? (bot.services.round_status)
    lists: tuple[tuple[int, tuple[ListState, ...]], ...] = ()
    # The lists as `/soap list` shows them (one per program code, each ranked from 1, without the
    # applicants whose SOAP is over), so Home's ranks are the ranks the committee reads there.
    code_lists: tuple[CodeList, ...] = ()
    # Blind votes: the applicants (AAMC IDs) whose support and dissent this member may not see yet
    # (they have neither voted on nor ranked them); `bot.domain.votes.tally_view` is the rule.
    tallies_hidden: frozenset[str] = frozenset()
    # Whether reminders are being sent (the clock's last tick).
    clock: ClockSight | None = None


@dataclass(frozen=True)
class PurgedRoom:
    """A war room whose applicant data a director purged: what its members' App Home says instead."""

    name: str
    purged_at: datetime
    timezone: str
