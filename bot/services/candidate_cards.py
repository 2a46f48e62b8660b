"""Candidate cards in the war room: assemble the facts, post the card, keep the parent current.

- `show_card`: the first card for a candidate is posted to the war room and becomes the
  candidate's thread (`candidates.thread_ts`). Asking again refreshes the parent with chat.update
  and answers in its thread with a link to it: never a copy of the card, which no vote or note
  would ever update again. If the parent was deleted, a new parent
  is posted and becomes the thread. The request that posts a new parent first claims the
  candidate (`candidates.card_claimed_at`), so two asking at once give one parent and one reply.
- `refresh_card(room, program, candidate_id)`: re-render the parent card in place (other features
  call it after votes, notes, interviews or offers change). Never raises for Slack trouble: a
  stale card is better than a failed vote; it logs ids only.
- `redraw_stale_cards(room)`: the clock job `cards.redraw` redraws the cards a re-import changed
  (`candidates.card_stale`), at most `REDRAW_PER_RUN` a run so chat.update stays within Slack's
  rate tier. Each stale card is taken once (cleared, then redrawn); one that cannot be redrawn
  then shows the new data at its next change or `/soap candidate`.
- A change (a vote, a note…) that lands while a candidate's first card is on its way to Slack
  marks it stale; the request posting it redraws it as soon as the card has its thread.
- Cards are only ever posted to the program's war-room channel.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.access import ProgramRef
from bot.domain.candidate_search import CandidateRef
from bot.domain.candidates import (
    EXAM_NAMES,
    ApplicantProfile,
    ExamResult,
    degree_type,
    exam_attempts,
    exam_failures,
    graduation_year,
    honor_labels,
    red_flags,
    screened_flags,
    ties_to_region,
    visa_need,
    years_since_graduation,
)
from bot.domain.cards import REDRAW_PER_RUN, CardFacts, CardSection, CardViewer, ExamLine, Override
from bot.domain.triage import TriagePolicy, rules_without_data
from bot.domain.when import program_today
from bot.errors import BadInput
from bot.messages.candidate_card import (
    candidate_card_blocks,
    card_pointer_text,
    card_text,
)
from bot.messages.mrkdwn import escape
from bot.services import audit
from bot.services.candidate_lookup import lookup
from bot.services.cards import SectionProvider, card_sections
from bot.services.plan import note_view
from bot.services.programs import program_ref
from bot.services.triage import connections_of, policy_from_json, reasons_of
from bot.slack_gateway import Intended, marker_for
from bot.war_room import WarRoom
from storage.models import Candidate, Program

log = logging.getLogger(__name__)


def _exam_result(result: ExamResult) -> str:
    if result.score is not None:
        text = str(result.score)
        if result.passed is False:
            text += " (Fail)"
        return text
    if result.passed is True:
        return "Pass" if not result.failure_count else "Fail, then Pass"
    if result.passed is False:
        return "Fail"
    return "taken"


def visa_line(profile: ApplicantProfile, policy: TriagePolicy) -> tuple[str, bool | None]:
    """("needs J-1; we sponsor J-1", True) — the applicant's need against the program's policy."""
    needs, kind = visa_need(profile)
    sponsored = policy.sponsored_visas
    ours = {"none": "we sponsor none", "J-1": "we sponsor J-1 only", "H-1B": "we sponsor H-1B only",
            "both": "we sponsor J-1 and H-1B"}[policy.visas_sponsored]
    if not needs:
        if profile.visa_needed is False:
            return "no visa needed", True
        return "not stated", None
    if kind is None:
        return f"needs a visa (type not stated); {ours}", (False if not sponsored else None)
    return f"needs {kind}; {ours}", kind in sponsored


def card_facts(candidate: Candidate, policy: TriagePolicy, today: date, timezone: str,
               sections: Sequence[CardSection]) -> CardFacts:
    """The card's facts from values already read (no query: drawn after the reading transaction)."""
    profile = ApplicantProfile.model_validate(candidate.profile)
    visa, visa_ok = visa_line(profile, policy)
    exams = tuple(ExamLine(name.replace("USMLE ", "").replace("COMLEX ", "COMLEX "), _exam_result(result),
                           result.attempt_count, result.failure_count)
                  for name in EXAM_NAMES if (result := profile.exams.get(name)) is not None)
    location = ", ".join(x for x in (profile.school_state, profile.school_country) if x) or None
    override = None
    if candidate.override_bucket:
        override = Override(candidate.override_bucket, candidate.override_by or "?", candidate.override_at,
                            candidate.override_reason or "")
    return CardFacts(
        candidate_id=candidate.id, aamc_id=candidate.aamc_id, name=profile.full_name,
        school=profile.medical_school, school_location=location, degree_type=degree_type(profile),
        degree=profile.degree, graduation_year=graduation_year(profile),
        years_out=years_since_graduation(profile, today), exams=exams, exam_failures=exam_failures(profile),
        exam_attempts=exam_attempts(profile), visa=visa, visa_ok=visa_ok, red_flags=tuple(red_flags(profile)),
        ties=tuple(ties_to_region(profile, policy.home_states)), home_states=policy.home_states,
        connections=tuple(connections_of(candidate).labels()), tracks=tuple(profile.tracks),
        tracks_considered=tuple(profile.tracks_considered), soap_status=profile.soap_match_status,
        email=profile.email, phones=tuple(profile.phones), other_schools=tuple(profile.medical_schools[1:]),
        honors=tuple(honor_labels(profile)), screened=tuple(screened_flags(profile)),
        not_in_export=tuple((rule.what, rule.rule) for rule in rules_without_data(profile)),
        us_clinical_months=profile.us_clinical_months, recent_clinical_months=profile.recent_clinical_months,
        bucket=candidate.bucket, risk=candidate.risk,
        reasons=tuple(reasons_of(candidate.triage_reasons or [], "bucket")),
        risk_reasons=tuple(reasons_of(candidate.triage_reasons or [], "risk")),
        offsets=tuple(reasons_of(candidate.triage_reasons or [], "offset")),
        override=override, sections=tuple(sections), timezone=timezone)


@dataclass(frozen=True)
class CardRead:
    """Everything a card shows, read in one transaction and drawn (`draw`) after it ends, so no
    transaction waits for Block Kit to be built."""

    candidate: Candidate
    policy: TriagePolicy
    sections: tuple[CardSection, ...]


def read_card(session: Session, program: ProgramRef, candidate: Candidate,
              providers: Sequence[SectionProvider]) -> CardRead:
    # Held while the sections read: the session's identity map keeps the program only while something
    # refers to it, and a section that needs the program's policy then finds it without a query.
    row = session.get(Program, program.id)
    policy = policy_from_json(row.policy if row is not None else None)
    return CardRead(candidate, policy, tuple(card_sections(session, candidate, CardViewer(), providers)))


def draw(program: ProgramRef, read: CardRead, today: date) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of the card: built once, from one set of facts."""
    facts = card_facts(read.candidate, read.policy, today, program.timezone, read.sections)
    return card_text(facts), candidate_card_blocks(facts)


def render(session: Session, program: ProgramRef, candidate: Candidate, today: date,
           sections: Sequence[SectionProvider]) -> tuple[str, list[dict[str, Any]]]:
    return draw(program, read_card(session, program, candidate, sections), today)


@dataclass(frozen=True)
class CardPosted:
    candidate_id: int
    aamc_id: str
    ts: str
    thread_ts: str
    new_thread: bool
    permalink: str | None = None


class CardBeingPosted(BadInput):
    """Another request holds the candidate's first-card claim and its card has not appeared yet."""


class CardNotLinked(BadInput):
    """Posted cards kept coming back with another applicant's thread ts."""


class ThreadTaken(Exception):
    """A posted card's ts is already another card's thread."""


#: A request that claimed a candidate's first card and died frees the claim after this long.
FIRST_CARD_CLAIM = timedelta(seconds=30)
#: How long a second request waits for the first card's thread before telling the person to ask again.
FIRST_CARD_WAIT_SECONDS = 10.0


def _thread_is(ts: str | None) -> ColumnElement[bool]:
    """The candidate's thread is still `ts` (None: it has none yet)."""
    return Candidate.thread_ts.is_(None) if ts is None else Candidate.thread_ts == ts


def _lease_commit(room: WarRoom, session: Session) -> None:
    if room.database.backend == "postgresql":
        # A claim is a 30-second lease nobody needs after a crash, and a card view is a hint: their commit
        # need not wait for the WAL to reach the disk (the thread the claim leads to is stored durably).
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def _claim(session: Session, program: ProgramRef, candidate_id: int, replacing: str | None, now: datetime) -> bool:
    """Claim the candidate's (new) parent card in `session`: True when nobody else is posting it."""
    return bool(session.execute(  # type: ignore[attr-defined]
        update(Candidate).where(
            Candidate.id == candidate_id, Candidate.program_id == program.id, _thread_is(replacing),
            or_(Candidate.card_claimed_at.is_(None), Candidate.card_claimed_at < now - FIRST_CARD_CLAIM))
        .values(card_claimed_at=now).execution_options(synchronize_session=False)).rowcount)


@dataclass(frozen=True)
class _Claimed:
    """This request holds the candidate's card claim: what the card shows, and the intent to post it
    stored with the claim (the gateway's outbox)."""

    read: CardRead
    intent: Intended | None


def _claim_in(room: WarRoom, session: Session, program: ProgramRef, candidate: Candidate,
              replacing: str | None) -> _Claimed | None:
    """In `session`: claim the card, store the intent to post it, read all it shows. None when another
    request holds the claim."""
    if not _claim(session, program, candidate.id, replacing, room.clock()):
        return None
    intent = None
    if room.gateway.posts is not None:
        intent = room.gateway.posts.intend(session, program.channel_id, marker=card_marker(candidate.id, replacing))
    return _Claimed(read_card(session, program, candidate, room.card_sections), intent)


def _claim_and_read(room: WarRoom, program: ProgramRef, candidate_id: int, replacing: str | None) -> _Claimed | None:
    """One transaction: claim the card, store its intent and read all it shows; None when another
    request holds the claim."""
    with room.database.transaction() as session:
        _lease_commit(room, session)
        candidate = session.get(Candidate, candidate_id)
        if candidate is None:
            raise BadInput("That candidate was just removed (a purge); nothing to show.")
        return _claim_in(room, session, program, candidate, replacing)


def _release_first_card(room: WarRoom, candidate_id: int) -> None:
    with room.database.transaction() as session:
        session.execute(update(Candidate).where(Candidate.id == candidate_id).values(card_claimed_at=None)
                        .execution_options(synchronize_session=False))


def _take_thread(room: WarRoom, program: ProgramRef, candidate_id: int, ts: str, actor: str,
                 replacing: str | None, viewer: str | None, marker: str | None) -> bool:
    """One transaction after the post: the posted parent becomes the candidate's thread, the claim ends,
    the post's record (its intent's `marker`: for the purge), the audit trail and the card view are
    recorded. True when a change (a vote, a note…) arrived while
    the card was on its way, so it needs redrawing (its stale mark is taken here).

    Unless the claim ran out while Slack was slow and another request's card took over: then this
    card stays as posted. Raises `ThreadTaken` when another applicant's card already has `ts`: the
    thread is never taken from it."""
    with room.database.transaction() as session:
        # The stale mark comes back from the update itself, read under the row lock it takes: a change
        # marked before it is seen here, one after it finds the thread set and redraws the card itself.
        try:
            stale = session.execute(
                update(Candidate).where(
                    Candidate.id == candidate_id, Candidate.program_id == program.id,
                    _thread_is(replacing))
                .values(thread_ts=ts, card_claimed_at=None).returning(Candidate.card_stale)
                .execution_options(synchronize_session=False)).scalar()
        except IntegrityError:
            # Slack never gives two messages of a channel one ts; a workspace that does (a restarted local
            # console) would otherwise route one applicant's notes to another's card.
            log.error("a new card for candidate %s came back with the ts of another candidate's card; "
                      "it is not linked", candidate_id)
            raise ThreadTaken from None
        if marker is not None and room.gateway.posts is not None:
            room.gateway.posts.record_in(session, marker, program.channel_id, ts, None)
        if viewer:
            note_view(session, program_id=program.id, candidate_id=candidate_id, user_id=viewer, now=room.clock())
        if stale is None:
            log.info("candidate %s got a thread from another request; this card stays as posted", candidate_id)
            return False
        audit.record(session, program_id=program.id, actor=actor, action="candidates.thread",
                     target=f"candidate:{candidate_id}", before={"thread_ts": replacing}, after={"thread_ts": ts})
        return bool(stale) and bool(_take_stale(session, [candidate_id]))


def _mark_card_in_flight(room: WarRoom, candidate_id: int) -> bool:
    """A change while the candidate's first card is being posted: mark the card stale so its poster
    redraws it once it has its thread. False when the thread appeared meanwhile (redraw it now)."""
    with room.database.transaction() as session:
        return bool(session.execute(  # type: ignore[attr-defined]
            update(Candidate).where(Candidate.id == candidate_id, Candidate.thread_ts.is_(None),
                                    Candidate.card_claimed_at.is_not(None))
            .values(card_stale=True).execution_options(synchronize_session=False)).rowcount)


def _take_stale(session: Session, candidates: Any) -> list[Any]:
    """Clear the stale mark of `candidates` (ids or a subquery) and return the (id, program_id) rows
    this call cleared: two callers never both redraw the same card."""
    return list(session.execute(
        update(Candidate).where(Candidate.id.in_(candidates), Candidate.card_stale.is_(True))
        .values(card_stale=False).returning(Candidate.id, Candidate.program_id)
        .execution_options(synchronize_session=False)).all())


def _current_card(room: WarRoom, program: ProgramRef, candidate_id: int) -> CardRead:
    """All the candidate's card shows as it is now, in one read."""
    with room.database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        if candidate is None:
            raise BadInput("That candidate was just removed (a purge); nothing to show.")
        return read_card(session, program, candidate, room.card_sections)


def _note_view(room: WarRoom, program: ProgramRef, candidate_id: int, viewer: str) -> None:
    with room.database.transaction() as session:
        note_view(session, program_id=program.id, candidate_id=candidate_id, user_id=viewer, now=room.clock())


def _thread_of(room: WarRoom, candidate_id: int) -> str | None:
    with room.database.reading() as session:
        return session.scalar(select(Candidate.thread_ts).where(Candidate.id == candidate_id))


def _permalink(room: WarRoom, channel: str, ts: str) -> str | None:
    """A link to the card; None when Slack will not give one (the answer then says where it is)."""
    try:
        link = room.gateway.call("chat.getPermalink", channel=channel, message_ts=ts).get("permalink")
    except SlackApiError as error:
        log.info("no permalink for a card: %s", error.response.get("error"))
        return None
    return str(link) if link else None


@dataclass(frozen=True)
class _FirstLook:
    found: Candidate | list[CandidateRef]
    read: CardRead | None = None  # what the card shows, when it has a thread
    claimed: _Claimed | None = None  # this request claimed its first card


def _first_look(room: WarRoom, program: ProgramRef, key: str, viewer: str | None) -> _FirstLook:
    """One transaction: find the candidate; without a card, claim its first card; read all the card shows.
    A candidate that has a card records the viewer here (the card is shown whatever Slack says next)."""
    with room.database.transaction() as session:
        _lease_commit(room, session)
        found = lookup(session, program.id, key)
        if isinstance(found, list):
            return _FirstLook(found)
        if found.thread_ts is None:
            # None: another request is posting it
            return _FirstLook(found, claimed=_claim_in(room, session, program, found, None))
        if viewer:
            note_view(session, program_id=program.id, candidate_id=found.id, user_id=viewer, now=room.clock())
        return _FirstLook(found, read_card(session, program, found, room.card_sections))


def card_marker(candidate_id: int, replacing: str | None) -> str:
    """The marker of a candidate's card post (the first, or the one replacing a deleted parent): a request
    that takes over from one that died after Slack took the card finds it instead of posting a second."""
    return marker_for(f"card:{candidate_id}:{replacing or 'first'}")


def _post_parent(room: WarRoom, program: ProgramRef, candidate_id: int, claimed: _Claimed, today: date, actor: str,
                 replacing: str | None, viewer: str | None) -> CardPosted:
    """This request holds the claim and stored the intent to post with it: post the card, then store
    its thread and the post's record in one transaction.

    An intent an earlier request stored (it died after its claim, which then ran out) may have reached
    Slack: the gateway looks the card up by its marker first and gives its ts instead of posting a
    second card; that card becomes the thread and is redrawn with what changed since."""
    aamc = claimed.read.candidate.aamc_id
    channel = program.channel_id
    fresh = claimed.intent is not None and claimed.intent.fresh
    marker = card_marker(candidate_id, replacing) if claimed.intent is not None else None
    for attempt in (1, 2):
        try:
            if attempt == 1:
                text, blocks = draw(program, claimed.read, today)
            if fresh:  # nothing can have reached Slack: post at once, record with the thread below
                ts = room.gateway.post(channel, text, blocks, marker=marker, intended=True, record=False)
            elif marker is not None:  # an earlier request's card may be there: found, or posted and recorded
                ts = room.gateway.post(channel, text, blocks, marker=marker)
            else:
                ts = room.gateway.post(channel, text, blocks)
        except BaseException:
            _release_first_card(room, candidate_id)
            raise
        try:
            stale = _take_thread(room, program, candidate_id, ts, actor, replacing, viewer,
                                 marker if fresh else None)
        except ThreadTaken:
            # Post the card again (the claim is still this request's): a new post gets a new ts. The
            # unlinked one is recorded for the purge; the next goes through the gateway's own outbox.
            if fresh and marker is not None and room.gateway.posts is not None:
                room.gateway.posts.record(marker, channel, ts, None)
            fresh, marker = False, None
            continue
        if stale or (claimed.intent is not None and not claimed.intent.fresh):
            refresh_card(room, program, candidate_id)
        return CardPosted(candidate_id, aamc, ts, ts, new_thread=True)
    _release_first_card(room, candidate_id)
    raise CardNotLinked(f"Slack gave the card for {escape(aamc)} the thread of another applicant's "
                        "card twice, so it was not linked and notes cannot reach it. Nothing stored "
                        "changed; ask again, and tell whoever runs the bot if it repeats.")


def show_card(room: WarRoom, program: ProgramRef, key: str, actor: str,
              viewer: str | None = None) -> CardPosted | list[CandidateRef]:
    """`/soap candidate <id | name>`: post (or re-post in its thread) the card; a list when several match.
    `viewer`: the person who asked to see it (recorded as having opened it).

    Two requests for a candidate without a card (two people, or a command and a note) give one
    parent: the first claims the candidate, the second waits for its thread and answers in it.
    A first card is two transactions: the claim with the intent to post and everything the card shows,
    and after the post the thread with the post's record, its audit event and the card view
    (tests/e2e/test_request_budget.py)."""
    today = program_today(room.clock(), program.timezone)
    look = _first_look(room, program, key, viewer)
    if isinstance(look.found, list):
        return look.found
    candidate_id, aamc, thread_ts = look.found.id, look.found.aamc_id, look.found.thread_ts
    if look.claimed is not None:
        return _post_parent(room, program, candidate_id, look.claimed, today, actor, None, viewer)
    channel = program.channel_id
    read = look.read
    waited_since: float | None = None
    gone: str | None = None  # a parent Slack no longer has (deleted): not asked for again while waiting
    while True:
        if thread_ts is not None and thread_ts != gone:
            text, blocks = draw(program, read or _current_card(room, program, candidate_id), today)
            try:
                room.gateway.update(channel, thread_ts, text, blocks)
            except SlackApiError as error:
                if error.response.get("error") not in ("message_not_found", "cant_update_message"):
                    raise
                log.info("card parent for candidate %s is gone; posting a new one", candidate_id)
                gone = thread_ts
            else:
                if viewer and look.found.thread_ts is None:  # waited for another request's card: not noted yet
                    _note_view(room, program, candidate_id, viewer)
                link = _permalink(room, channel, thread_ts)
                ts = room.gateway.post(channel, card_pointer_text(actor, link), thread_ts=thread_ts)
                return CardPosted(candidate_id, aamc, ts, thread_ts, new_thread=False, permalink=link)
        read = None
        claimed = _claim_and_read(room, program, candidate_id, thread_ts)
        if claimed is not None:
            return _post_parent(room, program, candidate_id, claimed, today, actor, thread_ts, viewer)
        # Another request is posting this candidate's first card: answer in its thread once it exists
        # (or post the card after all, if that request gave up and released its claim).
        waited_since = time.monotonic() if waited_since is None else waited_since
        if time.monotonic() - waited_since > FIRST_CARD_WAIT_SECONDS:
            raise CardBeingPosted(f"The card for {escape(aamc)} is being posted by another request right now; "
                                  "ask again in a few seconds.")
        time.sleep(0.2)
        thread_ts = _thread_of(room, candidate_id)


def refresh_card(room: WarRoom, program: ProgramRef, candidate_id: int) -> bool:
    """Re-render the candidate's parent card in place. True when Slack has the fresh card.

    Never raises: callers have already stored their change (a vote, a note, an outcome), and a card
    that could not be redrawn now is redrawn with the next change or `/soap candidate`."""
    try:
        today = program_today(room.clock(), program.timezone)
        for _ in range(2):
            with room.database.reading() as session:
                candidate = session.get(Candidate, candidate_id)
                if candidate is None or candidate.program_id != program.id:
                    return False
                if candidate.thread_ts is None:
                    in_flight = candidate.card_claimed_at is not None
                else:
                    text, blocks = render(session, program, candidate, today, room.card_sections)
                    thread_ts = candidate.thread_ts
                    break
            if not in_flight or _mark_card_in_flight(room, candidate_id):
                return False  # no card yet, or its poster redraws it once posted
        else:
            return False
        room.gateway.update(program.channel_id, thread_ts, text, blocks)
    except SlackApiError as error:
        log.warning("could not refresh the card of candidate %s: %s", candidate_id, error.response.get("error"))
        return False
    except Exception as error:
        log.warning("card refresh failed for candidate %s: %s", candidate_id, type(error).__name__)
        return False
    return True


def redraw_stale_cards(room: WarRoom) -> int:
    """Clock job: redraw up to `REDRAW_PER_RUN` cards that a re-import left showing older data."""
    with room.database.transaction() as session:
        waiting = select(Candidate.id).where(Candidate.card_stale.is_(True), Candidate.thread_ts.is_not(None)) \
            .order_by(Candidate.id).limit(REDRAW_PER_RUN)
        taken = _take_stale(session, waiting.scalar_subquery())
        programs = {program.id: program_ref(program) for program in session.scalars(
            select(Program).where(Program.id.in_({row.program_id for row in taken})))} if taken else {}
    return sum(refresh_card(room, programs[row.program_id], row.id) for row in sorted(taken))
