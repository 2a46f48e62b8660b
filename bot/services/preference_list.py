"""The committee's preference list: ballots from storage, the aggregate, per-round locks and the CSV.

Public functions other features call:
- `current_list(database, program_id, committee=None) -> CurrentList`: the order right now, and
  each program code's list (`CurrentList.lists`).
- `locked_lists(database, program_id, round)` / `locked_list(database, program_id, round, code)`:
  the round's locked snapshots, one per code.
- `missing_votes(database, program_id, committee) -> dict[user, list[AAMC ID]]`: who has not voted
  on which candidates of the current list.
- `lock_round` / `unlock_round` (directors), `snapshot_csv(locked) -> bytes`, `export_csv`.

Decisions (a program director's expectations, written down):
- The list holds every candidate that at least one counted member voted on or put in their
  ordering, plus every pinned candidate; candidates nobody mentioned are not on it (with 400
  applications, a list of 400 mostly-tied names helps no one). The triage bucket is advice: a
  candidate in "do not rank" stays on the list if the committee votes for them (the bucket shows
  on every line); a strict majority of "do not rank" *votes* leaves a candidate off.
- Counted ballots: when `committee` (the war-room channel's members) is given, the ballots of
  its members who are not observers; votes of people who left the channel stay stored and count
  again if they come back. Without `committee` (the CLI), every stored ballot counts.
- Ties are shown (`=`) and broken for submission by the aggregation's rule: the ballot of the
  program's first director (the one who set up the war room, then by the date the role was
  granted) who has a ballot, then the triage bucket (the director's override first), then AAMC ID.
- Pins come first. Among pinned candidates the committee's votes decide (a Schulze count over the
  pinned candidates alone, with the same tie-break), so the order of pins is defensible too.
- One list per NRMP program code (`../shared/DOMAIN.md` §2: each track is its own program in R3,
  with its own list). The order is computed once from the ballots; a code's list is that order
  restricted to the applicants whose track values name the code, ranked 1..n (a tie stays marked
  only if another of its group is on that list). An applicant who accepted an offer (here, on any
  code) or elsewhere, or withdrew, leaves every list. A program whose export has no codes keeps
  one list. A listed applicant in the do-not-rank bucket or with a deal-breaker is "binding": every
  name on a certified list is an offer if R3 reaches it (DOMAIN.md §2), so the list and the lock
  mark them.
- Locking round N stores one snapshot per code (rank, AAMC ID, name "Last, First", track = code and
  label; for a program without codes, the applicant's first track or "categorical"); later votes
  never change it. A round that is locked
  cannot be locked again until a director unlocks it with a reason; the old snapshot is kept with
  who unlocked it, when and why. Rounds are the program's rounds when the calendar is stored,
  otherwise 1-4 (NRMP's four SOAP rounds).
- The CSV (rank, AAMC ID, name, track), one per code named with the code
  (`internal-medicine-1234140C0-round-1.csv`), is UTF-8 with a byte-order mark and CRLF line ends, so
  Excel opens accented names correctly; a cell starting with `=`, `+`, `-`, `@`, tab or carriage
  return gets a leading `'` so that a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import list_words
from bot.domain.file_names import file_slug
from bot.domain.list_words import ListWordsError
from bot.domain.lists import (
    CodeList,
    CurrentList,
    ListLine,
    LockedEntry,
    LockedList,
    LockInfo,
    Placement,
    PlacementKind,
    Unlocked,
)
from bot.domain.offers import OfferStatus, PositionKind, can_hold_both, kind_of
from bot.domain.preference_list import Ballot, Vote, aggregate, code_ballots
from bot.domain.program_codes import ProgramCode, codes_in, matching
from bot.domain.roles import Role
from bot.domain.triage import Bucket, effective_bucket
from bot.errors import BadInput, Conflict
from bot.messages.mrkdwn import clip, escape, mention
from bot.services import audit
from bot.services.programs import directors
from bot.services.voting import display_name, find_candidate, lock_program_row, stored_vote
from bot.spreadsheet import csv_bytes
from storage.database import Database
from storage.models import (
    ApplicantAvailability,
    Candidate,
    CodeRanking,
    CommitteeRole,
    ListEntry,
    ListPlacement,
    ListSnapshot,
    Offer,
    Position,
    Ranking,
    Round,
)
from storage.models import Vote as VoteRow

DEFAULT_TRACK = "categorical"
TRACK_MAX = 64
NAME_MAX = 400
DEFAULT_ROUNDS = (1, 2, 3, 4)
UNLOCK_REASON_MAX = 500


# --------------------------------------------------------------------------- ballots and the list


def first_track(candidate: Candidate) -> str:
    tracks = [str(t).strip() for t in (candidate.tracks or []) if str(t).strip()]
    return (tracks[0] if tracks else DEFAULT_TRACK)[:TRACK_MAX]


def applied_codes(candidate: Candidate) -> tuple[str, ...]:
    """The program codes of the tracks the applicant applied to (their lists), in export order."""
    return tuple(c.code for c in codes_in(str(t) for t in (candidate.tracks or [])))


def program_codes(session: Session, program_id: int) -> dict[str, ProgramCode]:
    """Every program code of the program, from its applicants' track values and its positions, by code.

    Empty when the export carries no codes: the program then keeps one list (DOMAIN.md §2)."""
    found: dict[str, ProgramCode] = {}
    for (tracks,) in session.execute(select(Candidate.tracks).where(Candidate.program_id == program_id)):
        for code in codes_in(str(t) for t in (tracks or [])):
            found.setdefault(code.code, code)
    for track, label in session.execute(select(Position.track, Position.label).where(
            Position.program_id == program_id)):
        if track in found or codes_in([track]):
            found.setdefault(track, ProgramCode(track, label or track))
    return dict(sorted(found.items()))


def resolve_code(codes: dict[str, ProgramCode], text: str) -> ProgramCode:
    """The program code a person names by code or label (``bot.domain.list_words``); a refusal quotes
    what was typed, so it is escaped here."""
    try:
        return list_words.resolve_code(codes, text)
    except ListWordsError as error:
        raise BadInput(escape(str(error))) from None


def pick_list(current: CurrentList, text: str) -> CodeList:
    """The one list `/soap list <code or label>` asks for (``bot.domain.list_words``)."""
    try:
        return list_words.pick_list(current, text)
    except ListWordsError as error:
        raise BadInput(escape(str(error))) from None


def binding_reason(candidate: Candidate) -> str | None:
    """Why a name on a certified list would be an offer the committee may not want (DOMAIN.md §2):
    a deal-breaker by the policy (a visa not sponsored is one), or the do-not-rank bucket."""
    reasons = [text for r in (candidate.triage_reasons or [])
               if (text := str(r.get("text", "") if isinstance(r, dict) else r).strip())]
    why = f": {clip(reasons[0], 80)}" if reasons else ""
    if effective_bucket(candidate.bucket, candidate.override_bucket) is Bucket.DO_NOT_RANK:
        if candidate.override_bucket is Bucket.DO_NOT_RANK and candidate.override_reason:
            why = f": {clip(candidate.override_reason, 80)}"  # the override's reason, not the computed bucket's
        return f"do-not-rank bucket{why}"
    if candidate.bucket is Bucket.DO_NOT_RANK:
        return f"deal-breaker by the policy{why}"
    return None


def out_of_soap(session: Session, program_id: int) -> dict[str, tuple[str, tuple[PositionKind, ...]]]:
    """AAMC ID -> why the applicant left lists, and the kinds of position they hold (empty: they left
    every list). Accepting is binding and ends their SOAP, and so does withdrawing (DOMAIN.md §2),
    except that a preliminary (PGY-1) position and an advanced one are held together."""
    gone: dict[str, tuple[str, tuple[PositionKind, ...]]] = {}
    for aamc, status, kind in session.execute(
            select(Candidate.aamc_id, ApplicantAvailability.status, ApplicantAvailability.kind)
            .join(Candidate, Candidate.id == ApplicantAvailability.candidate_id)
            .where(ApplicantAvailability.program_id == program_id)):
        kept: tuple[PositionKind, ...] = (
            (PositionKind(kind),) if kind and kind != PositionKind.CATEGORICAL.value else ())
        gone[aamc] = (f"accepted a {kind} position elsewhere" if kept else status.replace("-", " "), kept)
    for aamc, code, number in session.execute(
            select(Candidate.aamc_id, Offer.track, Offer.round).join(Candidate, Candidate.id == Offer.candidate_id)
            .where(Offer.program_id == program_id, Offer.status == OfferStatus.ACCEPTED).order_by(Offer.round)):
        why, held = gone.get(aamc) or ("", None)
        kind = kind_of(code)
        if held is None or held:
            kinds = (*(held or ()), kind) if kind is not PositionKind.CATEGORICAL else ()
            gone[aamc] = (why or f"accepted the round-{number} {code} offer", kinds)
    return gone


def stays_on(held: tuple[PositionKind, ...], code: str | None) -> bool:
    """Whether someone holding positions of these kinds stays on `code`'s list."""
    return bool(held) and code is not None and all(can_hold_both(k, kind_of(code)) for k in held)


PIN, EXCLUDE = PlacementKind.PIN, PlacementKind.EXCLUDE
EVERY_LIST = ""  # a placement's code when it is for every list


def placements(session: Session, program_id: int) -> dict[str, dict[str, PlacementKind]]:
    """code ("" for every list) -> AAMC ID -> pin | exclude."""
    found: dict[str, dict[str, PlacementKind]] = {}
    for aamc, code, kind in session.execute(
            select(Candidate.aamc_id, ListPlacement.code, ListPlacement.kind)
            .join(Candidate, Candidate.id == ListPlacement.candidate_id)
            .where(ListPlacement.program_id == program_id)):
        found.setdefault(code, {})[aamc] = kind
    return found


def _code_lists(lines: Sequence[ListLine], codes: dict[str, ProgramCode], with_positions: Iterable[str],
                placed: dict[str, dict[str, PlacementKind]] | None = None, only_pinned_on: Iterable[str] = (),
                holding: Mapping[str, tuple[PositionKind, ...]] | None = None,
                ) -> tuple[tuple[CodeList, ...], tuple[ListLine, ...]]:
    """Each code's list: the order restricted to the code's applicants; program-wide pins first, then
    this code's pins, then the order; applicants a director excluded from the code left off.
    `only_pinned_on`: applicants nobody voted on, listed only where a director pinned them."""
    placed = placed or {}
    pinned_only = set(only_pinned_on)

    def ranked(mine: Sequence[ListLine]) -> tuple[ListLine, ...]:
        """Ranks 1..n within one list; a tie stays a tie only if another of its group is on this list."""
        groups: dict[int, int] = {}
        for line in mine:
            groups[line.tie_group] = groups.get(line.tie_group, 0) + 1
        return tuple(replace(line, rank=n, tied=line.tied and groups[line.tie_group] > 1)
                     for n, line in enumerate(mine, start=1))

    def one_list(code: str | None, label: str, specialty: str, applied: Sequence[ListLine]) -> CodeList:
        def kind(line: ListLine) -> PlacementKind | None:
            return placed.get(code or EVERY_LIST, {}).get(line.aamc_id) or placed.get(EVERY_LIST, {}).get(
                line.aamc_id)

        kept = [line for line in applied if kind(line) != EXCLUDE
                and (line.aamc_id not in pinned_only or kind(line) == PIN)
                and (line.aamc_id not in (holding or {}) or stays_on((holding or {})[line.aamc_id], code))]
        pins = [line for line in kept if line.pinned]
        code_pins = [replace(line, pinned=True, tied=False, tie_group=-n)
                     for n, line in enumerate(kept, start=1) if not line.pinned and kind(line) == PIN]
        rest = [line for line in kept if not line.pinned and kind(line) != PIN]
        left_off = tuple(line for line in applied if kind(line) == EXCLUDE)
        return CodeList(code, label, specialty, ranked([*pins, *code_pins, *rest]), left_off)

    if not codes:
        return (one_list(None, "", "", lines),), ()
    shown = {code for line in lines for code in line.codes if code in codes} | set(with_positions) & set(codes)
    result = [one_list(code, codes[code].label, codes[code].specialty, [x for x in lines if code in x.codes])
              for code in sorted(shown)]
    return tuple(result), tuple(line for line in lines if not set(line.codes) & set(codes))


def _observers(session: Session, program_id: int) -> set[str]:
    return set(session.scalars(select(CommitteeRole.user_id).where(
        CommitteeRole.program_id == program_id, CommitteeRole.role == Role.OBSERVER.value)))


def load_ballots(session: Session, program_id: int, members: Iterable[str] | None = None) -> list[Ballot]:
    """Each member's ballot (scale votes and own ordering), keyed by AAMC ID; only `members` if given."""
    allowed = set(members) if members is not None else None
    scale: dict[str, dict[str, Vote]] = {}
    for user, aamc_id, choice in session.execute(
            select(VoteRow.user_id, Candidate.aamc_id, VoteRow.choice).join(
                Candidate, Candidate.id == VoteRow.candidate_id).where(VoteRow.program_id == program_id)):
        vote = stored_vote(choice)
        if vote is not None and (allowed is None or user in allowed):
            scale.setdefault(user, {})[aamc_id] = vote
    orderings: dict[str, list[str]] = {}
    for user, aamc_id in session.execute(
            select(Ranking.user_id, Candidate.aamc_id).join(Candidate, Candidate.id == Ranking.candidate_id)
            .where(Ranking.program_id == program_id).order_by(Ranking.user_id, Ranking.position)):
        if allowed is None or user in allowed:
            orderings.setdefault(user, []).append(aamc_id)
    users = sorted(set(scale) | set(orderings))
    return [Ballot(member=u, scale=scale.get(u, {}), ordering=tuple(orderings.get(u, ()))) for u in users]


def _compute(session: Session, program_id: int, committee: Iterable[str] | None) -> CurrentList:
    if committee is not None:
        members = sorted(set(committee) - _observers(session, program_id))
        ballots = load_ballots(session, program_id, members)
    else:
        ballots = load_ballots(session, program_id)
        members = sorted(b.member for b in ballots)
    mentioned = {c for b in ballots for c in (*b.scale, *b.ordering)}
    # Two indexed reads (by AAMC ID, and the pinned ones) rather than one OR that visits every applicant.
    candidates = {c.aamc_id: c for c in session.scalars(select(Candidate).where(
        Candidate.program_id == program_id, Candidate.aamc_id.in_(sorted(mentioned))))}
    candidates.update((c.aamc_id, c) for c in session.scalars(select(Candidate).where(
        Candidate.program_id == program_id, Candidate.pinned_by.is_not(None))))
    placed = placements(session, program_id)
    pinned_on_a_code = sorted({a for by_code in placed.values() for a, kind in by_code.items() if kind == PIN}
                              - set(candidates))
    if pinned_on_a_code:
        candidates.update((c.aamc_id, c) for c in session.scalars(select(Candidate).where(
            Candidate.program_id == program_id, Candidate.aamc_id.in_(pinned_on_a_code))))
    ids = sorted(candidates)
    buckets = {a: b.order for a, c in candidates.items()
               if (b := effective_bucket(c.bucket, c.override_bucket)) is not None}
    by_member = {b.member: b for b in ballots}
    tie_breaker = next((d for d in directors(session, program_id) if d in by_member), None)
    director_ballot = by_member.get(tie_breaker) if tie_breaker else None

    pinned = [a for a in ids if candidates[a].pinned_by]
    pin_order: list[str] = []
    if pinned:
        among_pins = aggregate(pinned, ballots, director_ballot=director_ballot, bucket_rank=buckets)
        pin_order = [*among_pins.order, *among_pins.excluded]
    result = aggregate(ids, ballots, pins=pin_order, director_ballot=director_ballot, bucket_rank=buckets,
                       committee=members)

    def line(aamc_id: str, rank: int, tied: bool, group: int, pin: bool) -> ListLine:
        candidate = candidates[aamc_id]
        bucket = effective_bucket(candidate.bucket, candidate.override_bucket)
        return ListLine(rank, candidate.id, aamc_id, display_name(candidate)[:NAME_MAX],
                        bucket.value if bucket else None, first_track(candidate), tied, group, pin,
                        result.support[aamc_id], result.dissent[aamc_id], result.not_voted[aamc_id],
                        applied_codes(candidate), binding_reason(candidate))

    lines = tuple(line(e.candidate, e.rank, e.tied, e.tie_group, e.pinned) for e in result.entries)
    excluded = tuple(line(a, 0, False, 0, False) for a in result.excluded)
    locks = tuple(LockInfo(s.round, s.locked_by, s.locked_at, n, s.code)
                  for s, n in _active_snapshots(session, program_id))
    codes = program_codes(session, program_id)
    positioned = session.scalars(select(Position.track).where(Position.program_id == program_id))
    gone = out_of_soap(session, program_id)
    lists, without = _code_lists([x for x in lines if x.aamc_id not in gone or gone[x.aamc_id][1]], codes,
                                 positioned, placed, pinned_on_a_code,
                                 {a: held for a, (_, held) in gone.items() if held})
    counted = set(members) if committee is not None else None
    orderings = {code: {m: o for m, o in by_member.items() if counted is None or m in counted}
                 for code, by_member in code_orderings(session, program_id).items()}
    lists = tuple(_with_code_ballots(x, ballots, orderings.get(x.code or "", {}), tie_breaker, buckets)
                  for x in lists)
    return CurrentList(program_id, lines, excluded, tuple(members), len(ballots), tie_breaker, locks, lists, without,
                       tuple((x, gone[x.aamc_id][0]) for x in lines if x.aamc_id in gone))


def code_orderings(session: Session, program_id: int) -> dict[str, dict[str, list[str]]]:
    """code -> member -> AAMC IDs, best first: members' ballots for one code (`/soap rank <code> …`)."""
    found: dict[str, dict[str, list[str]]] = {}
    for code, user, aamc in session.execute(
            select(CodeRanking.code, CodeRanking.user_id, Candidate.aamc_id)
            .join(Candidate, Candidate.id == CodeRanking.candidate_id)
            .where(CodeRanking.program_id == program_id)
            .order_by(CodeRanking.code, CodeRanking.user_id, CodeRanking.position)):
        found.setdefault(code, {}).setdefault(user, []).append(aamc)
    return found


def _with_code_ballots(listed: CodeList, general: Sequence[Ballot], orderings: Mapping[str, Sequence[str]],
                       tie_breaker: str | None, buckets: Mapping[str, int]) -> CodeList:
    """The code's list as the Schulze order of the code's ballots (`code_ballots`), pins kept first;
    with no ballot for the code, the general order restricted to it, as computed."""
    if listed.code is None or not orderings:
        return replace(listed, general_ballots=len(general))
    ballots, given = code_ballots(general, orderings)
    by_member = {b.member: b for b in ballots}
    fixed = [line for line in listed.lines if line.pinned]
    rest = {line.aamc_id: line for line in listed.lines if not line.pinned}
    order = aggregate(list(rest), ballots, director_ballot=by_member.get(tie_breaker) if tie_breaker else None,
                      bucket_rank=buckets)
    placed = [replace(rest[e.candidate], tied=e.tied, tie_group=10_000 + e.tie_group) for e in order.entries]
    placed += [rest[a] for a in order.excluded]  # kept by the general count; this code's ballots alone would not
    groups: dict[int, int] = {}
    for line in placed:
        groups[line.tie_group] = groups.get(line.tie_group, 0) + 1
    lines = tuple(replace(line, rank=n, tied=line.tied and groups.get(line.tie_group, 0) > 1)
                  for n, line in enumerate([*fixed, *placed], start=1))
    return replace(listed, lines=lines, code_ballots=given, general_ballots=len(ballots) - given)


def current_list(database: Database, program_id: int, committee: Iterable[str] | None = None) -> CurrentList:
    """The committee's order right now (see the module docstring for who counts and what is listed)."""
    with database.reading() as session:
        return _compute(session, program_id, committee)


def missing_votes(database: Database, program_id: int, committee: set[str]) -> dict[str, list[str]]:
    """Members of `committee` (observers left out) -> AAMC IDs of the current list they have neither
    voted on nor ranked, in list order. Members with nothing missing are left out."""
    current = current_list(database, program_id, committee)
    missing: dict[str, list[str]] = {}
    for entry in current.lines:
        for user in entry.not_voted:
            missing.setdefault(user, []).append(entry.aamc_id)
    return missing


# --------------------------------------------------------------------------- locks


def _active_snapshots(session: Session, program_id: int) -> list[tuple[ListSnapshot, int]]:
    snapshots = list(session.scalars(select(ListSnapshot).where(
        ListSnapshot.program_id == program_id, ListSnapshot.unlocked_at.is_(None)).order_by(ListSnapshot.round)))
    counts: dict[int, int] = {}
    if snapshots:
        for snapshot_id in session.scalars(select(ListEntry.snapshot_id).where(
                ListEntry.snapshot_id.in_([s.id for s in snapshots]))):
            counts[snapshot_id] = counts.get(snapshot_id, 0) + 1
    return [(s, counts.get(s.id, 0)) for s in snapshots]


def _active_round(session: Session, program_id: int, round_number: int) -> list[ListSnapshot]:
    """The round's locked lists (one per code), by code."""
    return sorted(session.scalars(select(ListSnapshot).where(
        ListSnapshot.program_id == program_id, ListSnapshot.round == round_number,
        ListSnapshot.unlocked_at.is_(None))), key=lambda s: (s.code or "", s.id))


def _active_snapshot(session: Session, program_id: int, round_number: int,
                     code: str | None = None) -> ListSnapshot | None:
    return next((s for s in _active_round(session, program_id, round_number) if s.code == code), None)


def valid_rounds(session: Session, program_id: int) -> tuple[int, ...]:
    stored = tuple(session.scalars(select(Round.number).where(Round.program_id == program_id).order_by(Round.number)))
    return stored or DEFAULT_ROUNDS


def check_round(session: Session, program_id: int, round_number: int) -> None:
    rounds = valid_rounds(session, program_id)
    if round_number not in rounds:
        raise BadInput(f"There is no round {round_number}; this program's SOAP rounds are "
                       f"{', '.join(str(r) for r in rounds)}.")


def _locked(session: Session, snapshot: ListSnapshot, codes: dict[str, ProgramCode] | None = None,
            tie_starts: dict[str, int] | None = None) -> LockedList:
    rows = list(session.execute(
        select(ListEntry, Candidate).outerjoin(Candidate, Candidate.id == ListEntry.candidate_id)
        .where(ListEntry.snapshot_id == snapshot.id).order_by(ListEntry.rank)))
    starts = tie_starts or {}
    entries = tuple(LockedEntry(e.rank, e.aamc_id, e.name, e.track or DEFAULT_TRACK, e.tied, starts.get(e.aamc_id))
                    for e, _ in rows)
    binding = tuple((e.aamc_id, reason) for e, c in rows if c is not None and (reason := binding_reason(c)))
    known = codes if codes is not None else program_codes(session, snapshot.program_id)
    code = known.get(snapshot.code) if snapshot.code else None
    return LockedList(snapshot.program_id, snapshot.round, snapshot.id, snapshot.locked_by, snapshot.locked_at,
                      entries, snapshot.code, code.label if code else "", code.specialty if code else "", binding)


def _pick_lists(session: Session, current: CurrentList, code_text: str | None) -> list[CodeList]:
    if code_text is None:
        return list(current.lists)
    codes = program_codes(session, current.program_id)
    if not codes:
        raise BadInput("This program's export has no NRMP program codes, so it keeps one list: "
                       "leave the code out.")
    code = resolve_code(codes, code_text).code
    found = [c for c in current.lists if c.code == code]
    return found or [CodeList(code, codes[code].label, codes[code].specialty, ())]


def lock_round(database: Database, *, program_id: int, actor: str, round_number: int, now: datetime,
               committee: Iterable[str] | None = None, code: str | None = None) -> tuple[LockedList, ...]:
    """Freeze each program code's current list as round `round_number`'s (directors; the caller checks
    the role). `code` (a code or its label) locks that code's list only; without it, every code's list
    not locked yet for the round is locked."""
    with database.transaction() as session:
        lock_program_row(session, program_id)
        check_round(session, program_id, round_number)
        current = _compute(session, program_id, committee)
        wanted = _pick_lists(session, current, code)
        active = {s.code: s for s in _active_round(session, program_id, round_number)}
        if code is not None and wanted[0].code in active:
            existing = active[wanted[0].code]
            raise Conflict(f"Round {round_number}'s list for {escape(wanted[0].title)} is already locked (by "
                           f"{mention(existing.locked_by)}). To lock it again, a director unlocks it first: "
                           f"`/soap list unlock {round_number} <reason>`.")
        todo = [c for c in wanted if c.code not in active and c.lines]
        if not todo:
            if active and any(c.code in active for c in wanted):
                first = next(iter(active.values()))
                raise Conflict(f"Round {round_number}'s list{'s are' if len(active) > 1 else ' is'} already locked "
                               f"(by {mention(first.locked_by)}). To lock again, a director unlocks first: "
                               f"`/soap list unlock {round_number} <reason>`.")
            raise BadInput("There is nothing to lock yet: no candidate of "
                           + ("that code " if code is not None else "")
                           + "has a vote, an ordering or a pin.")
        codes = program_codes(session, program_id)
        locked: list[LockedList] = []
        for listed in todo:
            snapshot = ListSnapshot(program_id=program_id, round=round_number, code=listed.code, locked_by=actor,
                                    locked_at=now)
            session.add(snapshot)
            session.flush()
            track = listed.title[:TRACK_MAX] if listed.code else None
            session.add_all(ListEntry(snapshot_id=snapshot.id, rank=line.rank, candidate_id=line.candidate_id,
                                      aamc_id=line.aamc_id, name=line.name, track=track or line.track,
                                      tied=line.tied) for line in listed.lines)
            session.flush()
            audit.record(session, program_id=program_id, actor=actor, action="list.lock",
                         target=f"round:{round_number}",
                         before=None, after={"snapshot": snapshot.id, "code": listed.code,
                                             "entries": len(listed.lines),
                                             "order": [line.aamc_id for line in listed.lines],
                                             "excluded": [line.aamc_id for line in current.excluded]})
            group_start = {line.tie_group: line.rank for line in reversed(listed.lines) if line.tied}
            starts = {line.aamc_id: group_start[line.tie_group] for line in listed.lines if line.tied}
            locked.append(replace(_locked(session, snapshot, codes, starts), tie_breaker=current.tie_breaker))
        return tuple(locked)


def unlock_round(database: Database, *, program_id: int, actor: str, round_number: int, reason: str,
                 now: datetime, code: str | None = None) -> Unlocked:
    """Reopen round `round_number`'s lists (or one code's); each snapshot is kept with who unlocked it,
    when and why."""
    reason = " ".join(reason.split())
    if not reason:
        raise BadInput(f"Say why: `/soap list unlock {round_number} <reason>` (the reason is kept in the record).")
    if len(reason) > UNLOCK_REASON_MAX:
        raise BadInput(f"The reason is {len(reason)} characters; keep it under {UNLOCK_REASON_MAX}.")
    with database.transaction() as session:
        lock_program_row(session, program_id)
        snapshots = _active_round(session, program_id, round_number)
        if code is not None:
            wanted = resolve_code(program_codes(session, program_id), code).code
            snapshots = [s for s in snapshots if s.code == wanted]
        if not snapshots:
            raise Conflict(f"Round {round_number}'s list is not locked, so there is nothing to unlock.")
        for snapshot in snapshots:
            snapshot.unlocked_by, snapshot.unlocked_at, snapshot.unlock_reason = actor, now, reason
            audit.record(session, program_id=program_id, actor=actor, action="list.unlock",
                         target=f"round:{round_number}", before={"snapshot": snapshot.id, "locked": True},
                         after={"snapshot": snapshot.id, "code": snapshot.code, "locked": False, "reason": reason})
        first = snapshots[0]
        return Unlocked(round_number, first.locked_by, first.locked_at, actor, now, reason,
                        tuple(s.code for s in snapshots if s.code))


def locked_lists(database: Database, program_id: int, round_number: int) -> tuple[LockedList, ...]:
    """Every locked list of round `round_number` (one per code), by code; () when none is locked."""
    with database.reading() as session:
        codes = program_codes(session, program_id)
        return tuple(_locked(session, s, codes) for s in _active_round(session, program_id, round_number))


def locked_list(database: Database, program_id: int, round_number: int,
                code: str | None = None) -> LockedList | None:
    """The locked list of round `round_number` for `code` (None: the program's one list), or None."""
    with database.reading() as session:
        snapshot = _active_snapshot(session, program_id, round_number, code)
        return _locked(session, snapshot) if snapshot is not None else None


# --------------------------------------------------------------------------- CSV

CSV_HEADER = ("Rank", "AAMC ID", "Name", "Track")


def list_csv(entries: Sequence[LockedEntry]) -> bytes:
    """The NRMP-entry CSV: formula-safe cells, UTF-8 with BOM, CRLF (bot.spreadsheet)."""
    return csv_bytes(CSV_HEADER, ((e.rank, e.aamc_id, e.name, e.track) for e in entries))


def snapshot_csv(locked: LockedList) -> bytes:
    return list_csv(locked.entries)


def _slug(text: str) -> str:
    """A file name part, never a path, whatever the program is called (bot.domain.file_names.file_slug)."""
    return file_slug(text)


def csv_filename(program_name: str, round_number: int, code: str | None = None, specialty: str = "") -> str:
    """`internal-medicine-1234140C0-round-1.csv` for a code's list (named with the code, as R3 knows it)."""
    if code:
        return f"{_slug(specialty or program_name)}-{code}-round-{round_number}.csv"
    return f"{_slug(program_name)}-soap-round-{round_number}-preference-list.csv"


def locked_filename(program_name: str, locked: LockedList) -> str:
    return csv_filename(program_name, locked.round, locked.code, locked.specialty)


def require_locked(database: Database, program_id: int, round_number: int,
                   code: str | None = None) -> tuple[LockedList, ...]:
    """Round `round_number`'s locked lists (only `code`'s when given), or the refusal that says how to lock."""
    lists = locked_lists(database, program_id, round_number)
    if code is not None:
        with database.reading() as session:
            wanted = resolve_code(program_codes(session, program_id), code).code
        lists = tuple(x for x in lists if x.code == wanted)
    if not lists:
        which = f" for {escape(code)}" if code else ""
        raise Conflict(f"Round {round_number}'s list{which} is not locked; a director locks it first with "
                       f"`/soap list lock {round_number}`.")
    return lists


def export_csv(database: Database, program_id: int, round_number: int,
               code: str | None = None) -> tuple[LockedList, bytes]:
    """The CSV of round `round_number`'s locked list, byte for byte what the lock uploaded. A round
    with one list per code needs the code."""
    lists = require_locked(database, program_id, round_number, code)
    if len(lists) > 1:
        raise BadInput(f"Round {round_number} has one list per program code; name one with `--code`: "
                       + ", ".join(x.code or "" for x in lists) + ".")
    return lists[0], snapshot_csv(lists[0])


# --------------------------------------------------------------------------- pins and exclusions per code


def place(database: Database, *, program_id: int, actor: str, candidate_key: str, code: str | None,
          kind: PlacementKind | None, now: datetime, releasing: PlacementKind | None = None) -> Placement:
    """Pin (`kind` pin), exclude (exclude) or release (None) an applicant on one code's list, or on
    every list when `code` is None (an exclusion; a program-wide pin is `voting.set_pin`); `releasing`
    names the only placement a release lifts. Directors
    only (the router checks). A pin needs the applicant to have applied to that code: a program may
    list only applicants who applied to it (DOMAIN.md §3)."""
    with database.transaction() as session:
        lock_program_row(session, program_id)
        candidate = find_candidate(session, program_id, candidate_key)
        key, title = EVERY_LIST, "every list"
        if code is not None:
            codes = program_codes(session, program_id)
            if not codes:
                raise BadInput("This program's export has no NRMP program codes, so it keeps one list: "
                               "leave the code out.")
            found = resolve_code(codes, code)
            key, title = found.code, str(found)
            if kind == PIN and found.code not in applied_codes(candidate):
                raise Conflict(f"{escape(display_name(candidate))} did not apply to {escape(title)}, so they "
                               "cannot be on its list. Nothing was changed.")
        row = session.scalar(select(ListPlacement).where(ListPlacement.candidate_id == candidate.id,
                                                         ListPlacement.code == key))
        before = row.kind if row is not None else None
        if kind is None and releasing is not None and before != releasing:
            kind = before  # `include` lifts an exclusion only, `unpin` a pin only
        if before != kind:
            if kind is None:
                session.delete(row)
            elif row is None:
                session.add(ListPlacement(program_id=program_id, candidate_id=candidate.id, code=key, kind=kind,
                                          placed_by=actor, placed_at=now))
            else:
                row.kind, row.placed_by, row.placed_at = kind, actor, now
            audit.record(session, program_id=program_id, actor=actor, action=f"list.{kind or 'release'}",
                         target=f"candidate:{candidate.aamc_id}", before={"code": key, "placement": before},
                         after={"code": key, "placement": kind})
        return Placement(candidate.id, candidate.aamc_id, display_name(candidate), key, title, before, kind)


def split_code(database: Database, program_id: int, words: Sequence[str]) -> tuple[str, str | None]:
    """`<id or name…> [code or label]` -> (the applicant's words, the code's words or None)."""
    if len(words) < 2:
        return " ".join(words), None
    with database.reading() as session:
        codes = program_codes(session, program_id)
    if codes and matching(codes.values(), words[-1]):
        return " ".join(words[:-1]), words[-1]
    return " ".join(words), None
