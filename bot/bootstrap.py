"""The bootstrap: builds the war room of a process (web, Socket Mode, clock, console, CLI).

What every process must agree on is declared here once, as a plain list, never gathered from
whatever modules a process happened to import: the candidate card's sections, in the order the
card shows them, and what a new war room is seeded with.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime

from bot.services import interviews, notes, offer_card, schedule, voting
from bot.services.cards import SectionProvider
from bot.services.programs import SetupHook, war_room_members
from bot.settings import Settings
from bot.war_room import WarRoom, system_clock
from bot.work_pool import SlackWebClient
from storage.database import Database

# The candidate card below the applicant's file: reference notes, the committee's votes, the
# interview, offers.
CARD_SECTIONS: tuple[SectionProvider, ...] = (
    notes.notes_card_section,
    voting.votes_card_section,
    interviews.interview_card_section,
    offer_card.offers_card_section,
)

# What `programs.setup_war_room` seeds a new program with: the default SOAP calendar.
SETUP_HOOKS: tuple[SetupHook, ...] = (schedule.seed_default_calendar,)


def build_war_room(settings: Settings, *, clock: Callable[[], datetime] = system_clock,
                   sleep: Callable[[float], None] | None = None, work: Executor | None = None) -> WarRoom:
    client = SlackWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    return WarRoom(settings=settings, database=Database(settings.database_url, clock=clock), client=client,
                   card_sections=CARD_SECTIONS, clock=clock, sleep=sleep, work_pool=work,
                   members_of=war_room_members)
