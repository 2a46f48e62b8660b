"""The chair's report, assembled from the features' records (what it holds: `bot.domain.chair_report`).

`chair_report(database, program_id, now) -> ChairReport` reads; `report_files` renders it (the
Markdown by `bot.messages.chair_report`, the accepted applicants' CSV by `accepted_csv`).
`/soap report` posts both files in the war room, `soapbot report` writes them. Nothing here writes
to the database.

Which list R3 used in a round is `bot.domain.r3_rounds.list_used` over the locked lists and their
certifications as recorded (`_round_lists` is the one place that reads them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot.domain.chair_report import (
    AcceptedApplicant,
    ChairReport,
    CodeLine,
    CodeRound,
    MemberWork,
    RoundLine,
    WeekEvent,
)
from bot.domain.offers import OfferStatus
from bot.domain.r3_rounds import SavedList, list_used
from bot.domain.reminders import ReminderKind
from bot.errors import BadInput
from bot.messages.chair_report import report_markdown
from bot.services import plan, positions, preference_list, round_status
from bot.services.records import file_slug
from bot.spreadsheet import csv_bytes
from storage.database import Database
from storage.models import (
    Candidate,
    CardView,
    Interview,
    ListEntry,
    ListSnapshot,
    Offer,
    Program,
    Ranking,
    ReferenceNote,
    Reminder,
    Round,
    Vote,
)

PLAN_SOURCE = "plan"  # notes imported from the pre-SOAP plan are no member's reference call
ONE_LIST = ""  # the code of a program's one list (an export without program codes)

_REMINDER_WORDS = {
    ReminderKind.DEADLINE_LEAD.value: "reminder before the list deadline",
    ReminderKind.LOCK_WARNING.value: "warning to lock the list",
    ReminderKind.OFFERS_OPEN.value: "note that offers are out",
    ReminderKind.OFFERS_EXPIRE.value: "reminder that offers expire",
    ReminderKind.DEADLINE_ALARM.value: "deadline alarm",
}


def chair_report(database: Database, program_id: int, now: datetime) -> ChairReport:
    """The week's outcome for the program, as of `now`."""
    unseen = len(plan.unseen(database, program_id))
    with database.reading() as session:
        program = session.get(Program, program_id)
        if program is None:
            raise BadInput("That program does not exist any more.")
        status = positions.read_status(session, program_id)
        codes = tuple(CodeLine(c.title, c.total, c.filled, c.open) for c in status.codes)
        accepted = _accepted(session, program_id)
        last_filled = (max((at for *_, at in accepted), default=None)
                       if status.codes and status.all_filled else None)
        rounds = _rounds(session, program_id, accepted, now)
        return ChairReport(
            program_name=program.name, timezone=program.timezone, made_at=now, codes=codes, rounds=rounds,
            imported=_count(session, select(func.count()).select_from(Candidate)
                            .where(Candidate.program_id == program_id)),
            reviewed=_count(session, select(func.count()).select_from(Candidate)
                            .where(Candidate.program_id == program_id, _touched())),
            voted_on=_count(session, select(func.count(func.distinct(Vote.candidate_id)))
                            .where(Vote.program_id == program_id)),
            interviewed=_count(session, select(func.count(func.distinct(Interview.candidate_id)))
                               .where(Interview.program_id == program_id, Interview.state == "done")),
            unseen=unseen, members=_members(session, program_id), last_filled_at=last_filled,
            events=_events(session, program_id, now, last_filled))


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)


def _touched() -> ColumnElement[bool]:
    """An applicant a member opened, voted on, ranked, wrote a note about or interviewed."""
    return or_(exists().where(CardView.candidate_id == Candidate.id),
               exists().where(Vote.candidate_id == Candidate.id),
               exists().where(Ranking.candidate_id == Candidate.id),
               exists().where(ReferenceNote.candidate_id == Candidate.id, ReferenceNote.source != PLAN_SOURCE),
               exists().where(Interview.candidate_id == Candidate.id))


def _accepted(session: Session, program_id: int) -> list[tuple[AcceptedApplicant, datetime]]:
    rows = session.execute(
        select(Candidate.last_name, Candidate.first_name, Candidate.aamc_id, Offer.track, Offer.round,
               Offer.recorded_at)
        .join(Candidate, Candidate.id == Offer.candidate_id)
        .where(Offer.program_id == program_id, Offer.status == OfferStatus.ACCEPTED.value)
        .order_by(Offer.round, Offer.track, Candidate.last_name, Candidate.first_name, Candidate.aamc_id))
    return [(AcceptedApplicant(f"{last}, {first}".strip(", "), aamc, track, number), at)
            for last, first, aamc, track, number, at in rows]


def _round_lists(session: Session, program_id: int, number: int, deadline: datetime | None) -> tuple[CodeRound, ...]:
    """Per code: the list R3 used in round `number`, and the round's own locked list. The one place
    the report reads which list R3 used, so it follows the R3 rules as they change."""
    snapshots = session.scalars(select(ListSnapshot).where(ListSnapshot.program_id == program_id)
                                .order_by(ListSnapshot.locked_at, ListSnapshot.id)).all()
    sizes = {int(k): int(v) for k, v in session.execute(
        select(ListEntry.snapshot_id, func.count()).join(ListSnapshot, ListSnapshot.id == ListEntry.snapshot_id)
        .where(ListSnapshot.program_id == program_id).group_by(ListEntry.snapshot_id)).all()}
    saved = [SavedList(s.code or ONE_LIST, s.round, (str(s.id),), s.certified_at) for s in snapshots]
    codes = [(code, f"{code} {label}".strip() if label and label != code else code)
             for code, label in round_status.program_codes(session, program_id)] or [(ONE_LIST, "The list")]
    found: list[CodeRound] = []
    for code, title in codes:
        used = list_used(saved, code, number, deadline)
        own = [s for s in snapshots if (s.code or ONE_LIST) == code and s.round == number and s.unlocked_at is None]
        mine = own[-1] if own else None
        found.append(CodeRound(
            title=title, used_from_round=used.round_number if used is not None else None,
            used_size=sizes.get(int(used.ids[0]), 0) if used is not None else 0,
            locked=mine is not None, certified=mine is not None and mine.certified_at is not None,
            locked_size=sizes.get(mine.id, 0) if mine is not None else 0))
    return tuple(found)


def _rounds(session: Session, program_id: int, accepted: Sequence[tuple[AcceptedApplicant, datetime]],
            now: datetime) -> tuple[RoundLine, ...]:
    deadlines = {number: deadline for number, deadline in session.execute(
        select(Round.number, Round.deadline_at).where(Round.program_id == program_id))}
    outcomes: dict[int, Counter[str]] = {}
    for number, status, count in session.execute(
            select(Offer.round, Offer.status, func.count()).where(Offer.program_id == program_id)
            .group_by(Offer.round, Offer.status)):
        outcomes.setdefault(int(number), Counter())[str(status)] += int(count)
    numbers = sorted(set(preference_list.valid_rounds(session, program_id)) | set(outcomes))
    return tuple(RoundLine(number, deadlines.get(number), _round_lists(session, program_id, number,
                                                                       deadlines.get(number)),
                           dict(outcomes.get(number, Counter())),
                           tuple(a for a, _ in accepted if a.round == number),
                           ran=number in outcomes or (deadlines.get(number) or now) <= now)
                 for number in numbers)


def _members(session: Session, program_id: int) -> tuple[MemberWork, ...]:
    notes = Counter({str(author): int(count) for author, count in session.execute(
        select(ReferenceNote.author, func.count()).where(ReferenceNote.program_id == program_id,
                                                         ReferenceNote.source != PLAN_SOURCE)
        .group_by(ReferenceNote.author))})
    interviews = Counter({str(who): int(count) for who, count in session.execute(
        select(Interview.interviewer, func.count()).where(Interview.program_id == program_id,
                                                          Interview.state == "done",
                                                          Interview.interviewer.is_not(None))
        .group_by(Interview.interviewer))})
    people = sorted(set(notes) | set(interviews), key=lambda user: (-notes[user] - interviews[user], user))
    return tuple(MemberWork(user, notes[user], interviews[user]) for user in people)


def _events(session: Session, program_id: int, now: datetime, last_filled: datetime | None) -> tuple[WeekEvent, ...]:
    """Deadlines passed with no list certified in R3 for the round (while positions were open), and
    the alarms and reminders the bot posted late, or could not post."""
    events: list[WeekEvent] = []
    certified = session.execute(select(ListSnapshot.round, ListSnapshot.code, ListSnapshot.certified_at).where(
        ListSnapshot.program_id == program_id, ListSnapshot.certified_at.is_not(None))).all()
    codes = [code for code, _ in round_status.program_codes(session, program_id)] or [ONE_LIST]
    for number, deadline in session.execute(select(Round.number, Round.deadline_at).where(
            Round.program_id == program_id, Round.deadline_at <= now).order_by(Round.number)):
        if last_filled is not None and last_filled <= deadline:
            continue  # every position was filled: no list was needed
        missing = [code for code in codes
                   if not any(r == number and (c or ONE_LIST) == code and at is not None and at <= deadline
                              for r, c, at in certified)]
        if missing:
            which = "" if missing == [ONE_LIST] else " (" + ", ".join(missing) + ")"
            events.append(WeekEvent(deadline, f"Round {number} list deadline passed with no list{which} "
                                              "recorded as certified in R3 for the round"))
    for kind, of, subject_at, state, late, sent_at, posted in session.execute(
            select(Reminder.kind, Reminder.round, Reminder.subject_at, Reminder.state, Reminder.late,
                   Reminder.sent_at, Reminder.message_ts)
            .where(Reminder.program_id == program_id, Reminder.interview_id.is_(None),
                   or_(Reminder.state == "missed", Reminder.late.is_(True),
                       (Reminder.kind == ReminderKind.DEADLINE_ALARM.value) & (Reminder.state == "sent")
                       & Reminder.message_ts.is_not(None)))
            .order_by(Reminder.subject_at)):
        what = _REMINDER_WORDS.get(str(kind), str(kind).replace("_", " "))
        of_round = f" of round {of}" if of else ""
        if state == "missed":
            events.append(WeekEvent(subject_at, f"The {what}{of_round} could not be posted in time"))
        elif kind == ReminderKind.DEADLINE_ALARM.value and posted:
            events.append(WeekEvent(sent_at or subject_at, f"The deadline alarm{of_round} was posted: a list was "
                                                           "not locked or not certified at the deadline"))
        elif late:
            events.append(WeekEvent(sent_at or subject_at, f"The {what}{of_round} was posted late"))
    return tuple(sorted(events, key=lambda event: event.at))


ACCEPTED_COLUMNS = ("AAMC ID", "Name", "Program code", "Round")


def accepted_csv(report: ChairReport) -> bytes:
    """The accepted applicants for onboarding (formula-safe, UTF-8 with BOM, CRLF: as the list CSVs)."""
    return csv_bytes(list(ACCEPTED_COLUMNS), [[a.aamc_id, a.name, a.code, a.round] for a in report.accepted])


def report_files(database: Database, program_id: int, now: datetime) -> tuple[ChairReport, bytes, bytes]:
    """(report, the Markdown, the accepted applicants' CSV): what `/soap report` posts and `soapbot report` writes."""
    report = chair_report(database, program_id, now)
    csv_data = accepted_csv(report)
    return report, report_markdown(report, csv_data.decode("utf-8-sig")).encode("utf-8"), csv_data


def report_filenames(program_name: str, timezone: str, now: datetime) -> tuple[str, str]:
    """`internal-medicine-chair-report-20270319.md` and `internal-medicine-accepted-20270319.csv`."""
    day = now.astimezone(ZoneInfo(timezone)).date()
    slug = file_slug(program_name)
    return f"{slug}-chair-report-{day:%Y%m%d}.md", f"{slug}-accepted-{day:%Y%m%d}.csv"
