"""Thursday 9:00 for every program at once: one deployment serving many programs on PostgreSQL.

The deployment: PROGRAMS programs (each its own private war room, MEMBERS_PER people, APPLICANTS
applicants imported through the import service) in one fresh PostgreSQL database, served by two
`soapbot serve` processes (as two hosts would run them, requests spread over both as a load
balancer would) and two `soapbot clock` processes, all pointed at the Web API stand-in in this
process.

Every program's round-1 deadline is set 15 minutes after the same whole minute M, so each program
has its reminders (the 15-minute deadline reminder and the lock warning) due at M. From about
M - 25 s to M + 15 s a mixed load arrives at a fixed rate from all programs at once: first cards
and cards asked again (sometimes by two people at once, on both hosts), votes, reference notes and
list views, each from a member of that program.

Checked afterwards, from the database and the recorded Web API calls:
- errors: every request acknowledged with HTTP 200, no "something went wrong" answer;
- every write stored once: each vote one row, each note (a unique text) one row and at most one post,
  each candidate asked for at most one card parent in its war room;
- reminders: each one due at M sent (state `sent`), posted once, and how long after M.

`python -m bench.many_programs [programs] [applicants]` prints the figures as JSON.
"""

from __future__ import annotations

import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import SIGNING_SECRET, TEAM_ID, latency_summary, slack_stand_ins
from bench.ack_latency import Served, _soapbot_argv, server_env
from bench.open_loop import fresh_database, open_loop, postgres_server_url

PROGRAMS = 50
MEMBERS_PER = 6
APPLICANTS = 600
RATE = 20.0                 # requests per second from all programs together
LOAD_BEFORE_S = 25.0        # the load starts this long before the reminders' minute
LOAD_AFTER_S = 15.0         # and goes on this long after it
ON_TIME_S = 10.0            # a reminder posted later than this after its minute is late
WEB_WORKERS_PER_HOST = 1
SETTLE_S = 40.0             # bound on waiting for the last reminders and the work after the acks
MIX = (("card", 0.35), ("card-again", 0.10), ("vote", 0.25), ("note", 0.15), ("list", 0.15))
CHOICES = ("high", "rank", "if-needed", "dnr")
CARD_TEXT = re.compile(r"\((\d{8})\)")


@dataclass
class ProgramUnderLoad:
    number: int
    program_id: int
    channel: str
    members: tuple[str, ...]


def _people(number: int) -> tuple[str, ...]:
    return tuple(f"U0P{number:03d}M{j:02d}" for j in range(MEMBERS_PER))


def prepare(database_url: str, standin: Any, programs: int, applicants: int,
            log: Callable[[str], None]) -> list[ProgramUnderLoad]:
    """Schema, `programs` war rooms with their committees, `applicants` each (one synthetic export)."""
    from bench.import_speed import TODAY, write_synthetic_export
    from bot.bootstrap import SETUP_HOOKS
    from bot.services.candidate_import import import_export
    from bot.services.programs import ChannelFacts, setup_war_room
    from storage.database import Database
    from storage.migrate import upgrade

    database = Database(database_url)
    upgrade(database)
    out: list[ProgramUnderLoad] = []
    with tempfile.TemporaryDirectory(prefix="soap-bench-many-") as tmp:
        export = write_synthetic_export(Path(tmp) / "export.csv", applicants)
        began = time.perf_counter()
        for number in range(programs):
            channel = f"G0MANY{number:04d}"
            members = _people(number)
            standin.set_channel(channel, name=f"soap-war-room-{number}", is_private=True)
            standin.set_members(channel, list(members))
            for user in members:
                standin.add_user(user, name=user.lower(), real_name=f"Dr. Bench {user[-6:]}")
            program, _ = setup_war_room(database, name=f"Program {number:02d} – Bench", team_id=TEAM_ID,
                                        channel=ChannelFacts(channel, is_private=True), user_id=members[0],
                                        timezone="America/New_York", members=frozenset(members), seed=SETUP_HOOKS)
            result = import_export(database, program.id, export, actor=members[0], today=TODAY)
            if not result.ok or result.new != applicants:
                raise RuntimeError(f"program {number}: import failed ({result.problem or result.errors[:3]})")
            out.append(ProgramUnderLoad(number, program.id, channel, members))
        log(f"  {programs} programs x {applicants} applicants prepared in {time.perf_counter() - began:.1f} s")
    return out


def schedule_reminders_at(database_url: str, minute: datetime) -> list[tuple[str, int, datetime]]:
    """Every program's round-1 deadline 15 minutes after `minute` (one lead, 15 min); the reminders then
    due at `minute`: (key, program id, due)."""
    from sqlalchemy import select

    from bot.services import reminders
    from storage.database import Database
    from storage.models import Program, Reminder, Round

    database = Database(database_url)
    deadline = minute + timedelta(minutes=15)
    with database.transaction() as session:
        for program in session.scalars(select(Program)):
            program.reminder_leads = [15]
            first = session.get(Round, (program.id, 1))
            if first is None:
                raise RuntimeError(f"program {program.id} has no round 1")
            first.deadline_at = deadline
            first.offers_at = deadline + timedelta(minutes=45)
            first.expires_at = deadline + timedelta(hours=2, minutes=45)
    reminders.sync_all(database, datetime.now(UTC))
    with database.reading() as session:
        rows = session.scalars(select(Reminder).where(Reminder.due_at == minute)).all()
        return [(row.key, row.program_id, minute) for row in rows]


# --- the load -----------------------------------------------------------------------------------


def plan_load(programs: Sequence[ProgramUnderLoad], applicants: int, count: int,
              seed: int = 23) -> list[tuple[str, str, str, dict[str, Any]]]:
    """`count` requests: (kind, channel, user, facts to check afterwards), in arrival order."""
    from tests.factories import aamc_id

    rng = random.Random(seed)
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    asked: dict[str, list[str]] = {p.channel: [] for p in programs}
    fresh: dict[str, Iterator[int]] = {p.channel: iter(rng.sample(range(applicants), applicants)) for p in programs}
    voted: set[tuple[str, str, str]] = set()
    out: list[tuple[str, str, str, dict[str, Any]]] = []
    for number in range(count):
        program = programs[rng.randrange(len(programs))]
        user = program.members[rng.randrange(len(program.members))]
        kind = rng.choices(kinds, weights)[0]
        if kind == "card-again" and not asked[program.channel]:
            kind = "card"
        if kind == "card":
            aamc = aamc_id(next(fresh[program.channel]))
            asked[program.channel].append(aamc)
            out.append(("card", program.channel, user, {"text": f"candidate {aamc}", "aamc": aamc}))
        elif kind == "card-again":
            aamc = rng.choice(asked[program.channel][-5:])
            out.append(("card", program.channel, user, {"text": f"candidate {aamc}", "aamc": aamc}))
        elif kind == "vote":
            aamc = aamc_id(rng.randrange(applicants))
            if (program.channel, aamc, user) in voted:
                continue
            voted.add((program.channel, aamc, user))
            out.append(("vote", program.channel, user,
                        {"text": f"vote {aamc} {rng.choice(CHOICES)}", "aamc": aamc}))
        elif kind == "note":
            aamc = aamc_id(rng.randrange(applicants))
            token = f"bench-note-{number:05d}"
            out.append(("note", program.channel, user,
                        {"text": f"ref {aamc} Called the program director: {token}, reliable", "aamc": aamc,
                         "token": token}))
        else:
            out.append(("list", program.channel, user, {"text": "list"}))
    return out


def _signed(sim: Any, sign: Callable[..., dict[str, str]], standin: Any, planned: Sequence[Any]) -> list[Any]:
    out = []
    for number, (_kind, channel, user, facts) in enumerate(planned):
        payload = sim.command_payload(facts["text"], user, channel,
                                      response_url=standin.response_url(f"many-{number}"))
        body = urlencode(payload).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **sign(body, SIGNING_SECRET)}
        out.append((str(number), body, headers))
    return out


def drive_two_hosts(ports: Sequence[int], requests: Sequence[Any], rate: float) -> list[dict[str, Any]]:
    """Spawned: the requests at `rate`, alternating between the two hosts as a load balancer would."""
    from concurrent.futures import ThreadPoolExecutor

    halves = [list(requests[i::len(ports)]) for i in range(len(ports))]
    with ThreadPoolExecutor(max_workers=len(ports)) as hosts:
        parts = list(hosts.map(lambda i: open_loop(ports[i], halves[i], rate / len(ports)), range(len(ports))))
    return [item for part in parts for item in part]


# --- processes ------------------------------------------------------------------------------------


class Clock(Served):
    """`soapbot clock`: no HTTP, and it logs below WARNING to nowhere: started when it has stored its jobs
    (the `apscheduler_jobs` table) and is still running a moment later."""

    def start(self, timeout: float = 60.0) -> None:
        import subprocess

        log = self.log_path.open("ab")
        began = time.perf_counter()
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=log,
                                        stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self._log_tail()}")
            if time.perf_counter() - began > 1.5 and _jobs_stored(self.env["DATABASE_URL"]):
                self.started_s = time.perf_counter() - began
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not start within {timeout:.0f} s:\n{self._log_tail()}")

    def workers(self) -> list[int]:
        return []


def _jobs_stored(database_url: str) -> bool:
    from sqlalchemy import text

    from storage.database import Database

    try:
        with Database(database_url).reading() as session:
            return bool(session.scalar(text("SELECT count(*) FROM apscheduler_jobs WHERE id = 'reminders.tick'")))
    except Exception:
        return False


@contextmanager
def running(kind: str, name: str, api_url: str, database_url: str, work: Path) -> Iterator[Served]:
    from bench import free_port

    port = free_port()
    argv = [*_soapbot_argv()[:-1], kind]
    server_class = Clock if kind == "clock" else Served
    env = server_env(api_url, database_url, port)
    # One gunicorn worker per host: the PostgreSQL server here allows 100 connections and is shared with
    # other work; two hosts of one worker each is still two processes that share nothing but the database.
    env["WEB_CONCURRENCY"] = str(WEB_WORKERS_PER_HOST)
    server = server_class(name, argv, env, work, port, work / f"{name}.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- checks -----------------------------------------------------------------------------------------


def check(database_url: str, standin_calls: Sequence[Any], planned: Sequence[Any], sent: Sequence[dict[str, Any]],
          due: Sequence[tuple[str, int, datetime]], programs: Sequence[ProgramUnderLoad]) -> dict[str, Any]:
    from sqlalchemy import func, select

    from storage.database import Database
    from storage.models import Candidate, Program, ReferenceNote, Reminder, Vote

    database = Database(database_url)
    by_channel = {p.channel: p for p in programs}
    statuses = Counter(str(r.get("status")) for r in sent)
    answers = [str(call.params.get("text", "")) for call in standin_calls if call.method == "response_url"]
    errors = [text for text in answers if "Something went wrong" in text]
    being_posted = sum(1 for text in answers if "being posted by another request" in text)

    # Cards: at most one parent (a top-level card) per candidate and war room.
    parents: Counter[tuple[str, str]] = Counter()
    top_level: Counter[str] = Counter()
    for call in standin_calls:
        if call.method != "chat.postMessage" or call.params.get("thread_ts"):
            continue
        channel = str(call.params.get("channel"))
        match = CARD_TEXT.search(str(call.params.get("text", "")))
        if match:
            parents[(channel, match.group(1))] += 1
        else:
            top_level[channel] += 1
    asked = {(channel, facts["aamc"]) for kind, channel, _u, facts in planned if kind == "card"}
    double_cards = sorted(key for key, n in parents.items() if n > 1)

    with database.reading() as session:
        channel_of = dict(session.execute(select(Program.id, Program.channel_id)).all())
        threads = {(channel_of[pid], aamc) for pid, aamc in session.execute(
            select(Candidate.program_id, Candidate.aamc_id).where(Candidate.thread_ts.is_not(None))).all()}
        votes = Counter((channel_of[pid], aamc, user) for pid, aamc, user in session.execute(
            select(Vote.program_id, Candidate.aamc_id, Vote.user_id).join(Candidate, Candidate.id == Vote.candidate_id)
            .where(Vote.source == "vote")).all())
        tokens: Counter[str] = Counter()
        for (text,) in session.execute(select(ReferenceNote.text).where(ReferenceNote.text.like("%bench-note-%"))):
            tokens.update(re.findall(r"bench-note-\d{5}", text))
        states = dict(session.execute(select(Reminder.state, func.count()).where(
            Reminder.key.in_([key for key, _, _ in due])).group_by(Reminder.state)).all())
        message_ts = dict(session.execute(select(Reminder.key, Reminder.message_ts).where(
            Reminder.key.in_([key for key, _, _ in due]))).all())

    wanted_votes = {(channel, facts["aamc"], user) for kind, channel, user, facts in planned if kind == "vote"}
    wanted_notes = [facts["token"] for kind, _c, _u, facts in planned if kind == "note"]
    note_posts: Counter[str] = Counter()
    for call in standin_calls:
        # A note's own post (its text says "Reference note"; its words are in the blocks). A card drawn
        # after the note carries it too, in its notes section: that is not a second post of the note.
        if call.method == "chat.postMessage" and str(call.params.get("text", "")).startswith("Reference note"):
            note_posts.update(set(re.findall(r"bench-note-\d{5}", str(call.params))))

    # Reminders: posted once, when.
    posted_at = {}
    for call in standin_calls:
        response = call.response if isinstance(call.response, dict) else {}
        if call.method == "chat.postMessage" and response.get("ts") in set(message_ts.values()):
            posted_at[response["ts"]] = call.at
    delays = []
    for key, _pid, minute in due:
        ts = message_ts.get(key)
        if ts in posted_at:
            delays.append(posted_at[ts] - minute.timestamp())
    due_per_channel = Counter(channel_of[pid] for _k, pid, _m in due)
    extra_top_level = {channel: top_level[channel] - n for channel, n in due_per_channel.items()
                       if top_level[channel] != n}
    return {
        "requests": len(sent),
        "statuses": dict(statuses),
        "error_answers": len(errors),
        "asked_again_later_answers": being_posted,
        "ack": latency_summary([r["ack_s"] for r in sent if r]),
        "cards_asked": len(asked),
        "cards_with_thread": len(asked & threads),
        "double_card_parents": len(double_cards),
        "votes_sent": len(wanted_votes),
        "votes_stored": sum(1 for key in wanted_votes if votes.get(key) == 1),
        "votes_stored_twice": sum(1 for key in wanted_votes if votes.get(key, 0) > 1),
        "notes_sent": len(wanted_notes),
        "notes_stored_once": sum(1 for token in wanted_notes if tokens.get(token) == 1),
        "notes_stored_twice": sum(1 for token in wanted_notes if tokens.get(token, 0) > 1),
        "notes_posted_once": sum(1 for token in wanted_notes if note_posts.get(token) == 1),
        "notes_posted_twice": sum(1 for token in wanted_notes if note_posts.get(token, 0) > 1),
        "reminders_due": len(due),
        "reminder_states": states,
        "reminders_posted": len(delays),
        "reminder_channels_with_other_top_level_posts": extra_top_level,
        "reminder_delay_s": {"max": round(max(delays), 2) if delays else None,
                             "p50": round(sorted(delays)[len(delays) // 2], 2) if delays else None,
                             "min": round(min(delays), 2) if delays else None},
        "reminders_on_time": sum(1 for d in delays if d <= ON_TIME_S),
        "programs": len(by_channel),
    }


# --- the whole scenario ------------------------------------------------------------------------------


def run(pool: Executor, programs: int = PROGRAMS, applicants: int = APPLICANTS, rate: float = RATE,
        log: Callable[[str], None] = print) -> dict[str, Any]:
    if postgres_server_url() is None:
        return {"missing": "no PostgreSQL server reachable (set BENCH_POSTGRES_URL)"}
    standin_class, sim_class, sign = slack_stand_ins()
    with tempfile.TemporaryDirectory(prefix="soap-bench-many-") as tmp, standin_class() as standin, \
            fresh_database("postgresql", Path(tmp), "many") as db_url:
        work = Path(tmp)
        prepared = prepare(db_url, standin, programs, applicants, log)
        sim = sim_class("http://127.0.0.1:1", SIGNING_SECRET, team_id=TEAM_ID, standin=standin)
        count = int(rate * (LOAD_BEFORE_S + LOAD_AFTER_S))
        planned = plan_load(prepared, applicants, count)
        with ExitStack() as stack:
            began = time.perf_counter()
            hosts = [stack.enter_context(running("serve", f"web-{i}", standin.url, db_url, work)) for i in (1, 2)]
            clocks = [stack.enter_context(running("clock", f"clock-{i}", standin.url, db_url, work)) for i in (1, 2)]
            started_s = round(time.perf_counter() - began, 1)
            log(f"  two web and two clock processes started in {started_s} s")
            # The reminders' minute: the first whole minute that leaves time to plan and to start the load.
            now = datetime.now(UTC)
            minute = (now + timedelta(seconds=LOAD_BEFORE_S + 20)).replace(second=0, microsecond=0) \
                + timedelta(minutes=1)
            due = schedule_reminders_at(db_url, minute)
            log(f"  {len(due)} reminders due at {minute:%H:%M:%S} UTC")
            requests = _signed(sim, sign, standin, planned)
            standin.reset()
            wait = minute.timestamp() - LOAD_BEFORE_S - time.time()
            if wait > 0:
                time.sleep(wait)  # the load starts LOAD_BEFORE_S before the reminders' minute
            load_began = time.time()
            sent = pool.submit(drive_two_hosts, [h.port for h in hosts], requests, rate).result()
            load_s = round(time.time() - load_began, 1)
            settle_until = max(time.time(), minute.timestamp()) + SETTLE_S
            while time.time() < settle_until:  # bounded: the last reminders and the work after the acks
                if _reminders_done(db_url, due) and time.time() > minute.timestamp() + ON_TIME_S:
                    break
                time.sleep(0.5)
            time.sleep(2.0)  # let the last cards and notes of the load reach the stand-in
            figures = check(db_url, standin.calls, planned, sent, due, prepared)
            figures.update({"programs": programs, "members_per_program": MEMBERS_PER, "applicants_each": applicants,
                            "rate_per_s": rate, "load_s": load_s, "web_processes": len(hosts),
                            "web_workers_per_host": WEB_WORKERS_PER_HOST,
                            "clock_processes": len(clocks), "started_s": started_s,
                            "mix": dict(Counter(kind for kind, *_ in planned)),
                            "tracebacks_in_logs": sum(_log_text(p).count("Traceback") for p in (*hosts, *clocks))})
    return figures


def _log_text(process: Served) -> str:
    try:
        return process.log_path.read_text(errors="replace")
    except OSError:
        return ""


def _reminders_done(database_url: str, due: Sequence[tuple[str, int, datetime]]) -> bool:
    from sqlalchemy import func, select

    from storage.database import Database
    from storage.models import Reminder

    with Database(database_url).reading() as session:
        done = session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.key.in_([key for key, _, _ in due]), Reminder.state.in_(("sent", "missed"))))
    return int(done or 0) >= len(due)


if __name__ == "__main__":
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    args = [int(arg) for arg in sys.argv[1:]]
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as executor:
        print(json.dumps(run(executor, *(args[:2] or [PROGRAMS, APPLICANTS]), *(args[2:3] or [RATE])), indent=2,
                         default=str))
