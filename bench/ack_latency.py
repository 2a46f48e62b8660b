"""Acknowledgement latency through the real HTTP server, ours next to a bare Bolt app, in one run.

What is measured (issue #11):
- `soapbot serve` (gunicorn + `bot.web.wsgi_app`) as a subprocess, on a SQLite file prepared
  beforehand (schema, one program, N synthetic candidates imported through the import service, and
  a committee's votes), with SLACK_API_URL pointed at the Web API stand-in running in this process.
- `bench.bare_app` (a Bolt app that only acks `/soap`) served by the same `bot.web.serve` gunicorn
  configuration, same environment, same worker count.
- 20 concurrent clients (one per committee member), each sending `PER_CLIENT` signed slash commands
  back to back (a new connection each time, as Slack does). The clock runs from connect to the
  last byte of the HTTP response, i.e. what Slack's 3-second acknowledgement timer sees.
  The load runs in a separate process (spawned) so that the stand-in's work, which is our app's
  work after the ack (cards, list answers), does not slow the clients' clocks down.
- For `/soap candidate <AAMC ID>` (random candidates) and `/soap list`, at 100, 1,000 and 10,000
  candidates. Votes are fixed (8 members on 150 candidates, a typical long list) so the scaling
  shows the cost of the candidate table alone.
- After each load, the bench waits until the app's work after the ack is done (no new Web API call
  for a second, bounded) and records that lag and the Web API calls made; an answer of "Unknown
  subcommand" means the feature has not landed and the figure is reported as missing.

Decisions: counts and times are bounded (PER_CLIENT requests per client, a deadline per phase, a
bound on waiting for the app's work); everything is on 127.0.0.1 (gunicorn binds 0.0.0.0 as
`soapbot serve` does; no request goes anywhere but loopback). Percentiles are nearest-rank.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import (
    BOT_TOKEN,
    COMMITTEE,
    DIRECTOR,
    MEMBERS,
    ROOT,
    SIGNING_SECRET,
    TEAM_ID,
    WAR_ROOM,
    free_port,
    latency_summary,
    ratio,
    slack_stand_ins,
)
from bench.memory import children, tree_memory

SCALES = (100, 1_000, 10_000)
CLIENTS = 20
PER_CLIENT = 15           # sustained: 300 measured requests per command and server
BURSTS = 10               # burst: 10 x 20 simultaneous requests per command and server
MODES = ("burst", "sustained")
WARMUP_PER_CLIENT = 2
PHASE_DEADLINE_S = 60.0   # no new request is started after this (per phase)
REQUEST_TIMEOUT_S = 10.0
DRAIN_QUIET_S = 0.3
DRAIN_LIMIT_S = 30.0
VOTERS = 8
VOTED = 150
TARGET_P99_RATIO = 1.5
SLACK_ACK_LIMIT_S = 3.0   # Slack shows the person an error when the ack takes longer
COMMANDS = ("candidate", "list")

Request = tuple[bytes, dict[str, str]]


# --- the load (runs in a spawned child process) -----------------------------------------------


def post_event(port: int, body: bytes | str, headers: dict[str, str]) -> int:
    """One signed request to the app on loopback, as Slack sends it: its HTTP status, or -1 when it was
    refused, reset or timed out (Slack would call that a failure)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        conn.request("POST", "/slack/events", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return -1
    finally:
        conn.close()


def drive(port: int, batches: Sequence[Sequence[Request]], deadline_s: float) -> dict[str, Any]:
    """Each batch is one client's requests, sent back to back; all clients start together."""
    results: list[list[tuple[float, int]]] = [[] for _ in batches]
    barrier = threading.Barrier(len(batches) + 1)
    stop_at: list[float] = [0.0]

    def client(index: int) -> None:
        barrier.wait()
        for body, headers in batches[index]:
            if time.monotonic() > stop_at[0]:
                return
            started = time.perf_counter()
            status = post_event(port, body, headers)
            results[index].append((time.perf_counter() - started, status))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + deadline_s
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join(deadline_s + REQUEST_TIMEOUT_S + 5)
    wall = time.perf_counter() - started
    flat = [item for per in results for item in per]
    return {
        "latencies_s": [seconds for seconds, _ in flat],
        "statuses": dict(Counter(str(status) for _, status in flat)),
        "wall_s": wall,
        "planned": sum(len(b) for b in batches),
    }


# --- servers ----------------------------------------------------------------------------------


@dataclass
class Served:
    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    started_s: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        log = self.log_path.open("ab")
        began = time.perf_counter()
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=log,
                                        stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} at start; "
                                   f"see {self.log_path}:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200 and len(self.workers()) >= self.expected_workers():
                        self.started_s = time.perf_counter() - began
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f} s:\n{self._log_tail()}")

    def expected_workers(self) -> int:
        return int(self.env.get("WEB_CONCURRENCY", "2"))

    def workers(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def memory(self) -> dict[str, Any]:
        """Peak and current RSS of the gunicorn master and each worker (`bench.memory`)."""
        return tree_memory(self.process.pid) if self.process else {}

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        workers = self.workers()
        process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the master and its workers
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            pass
        process.kill()
        process.wait(timeout=10)
        for pid in workers:  # the workers of the master this bench started, if any outlived it
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _soapbot_argv() -> list[str]:
    script = Path(sys.executable).parent / "soapbot"
    return [str(script), "serve"] if script.exists() else [sys.executable, "-m", "bot.cli", "serve"]


def server_env(api_url: str, database_url: str, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SLACK_", "DATABASE_URL", "PORT", "WEB_CONCURRENCY", "LOG_LEVEL"))}
    env.update({
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",   # the documented default, explicit so both servers surely match
        "LOG_LEVEL": "INFO",      # the default: what an operator runs
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "PYTHONUNBUFFERED": "1",
    })
    return env


@contextmanager
def serving(name: str, argv: list[str], api_url: str, database_url: str, work: Path) -> Iterator[Served]:
    port = free_port()
    server = Served(name, argv, server_env(api_url, database_url, port), work, port, work / f"{name}.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- data -------------------------------------------------------------------------------------


def prepare_database(database_url: str, candidates: int, seed: int = 11) -> int:
    """Schema, the program, `candidates` imported through the import service, and VOTERS' votes."""
    from sqlalchemy import insert

    from bench.import_speed import TODAY, prepare_program, write_synthetic_export
    from bot.domain.preference_list import Vote
    from bot.services.candidate_import import import_export
    from storage.database import Database, dispose_engines
    from storage.models import Candidate
    from storage.models import Vote as VoteRow

    program_id = prepare_program(database_url)
    database = Database(database_url)
    with tempfile.TemporaryDirectory(prefix="soap-bench-export-") as tmp:
        export = write_synthetic_export(Path(tmp) / "export.csv", candidates)
        result = import_export(database, program_id, export, actor=DIRECTOR, today=TODAY)
    if not result.ok or result.new != candidates:
        raise RuntimeError(f"preparing {candidates} candidates failed: {result.problem or result.errors[:3]}")
    rng = random.Random(seed)
    with database.transaction() as session:
        ids = [row[0] for row in session.query(Candidate.id).filter(Candidate.program_id == program_id)
               .order_by(Candidate.id)]
        voted = rng.sample(ids, min(VOTED, len(ids)))
        choices = list(Vote)
        rows = [{"candidate_id": cid, "user_id": member, "program_id": program_id,
                 "choice": rng.choices(choices, weights=(3, 4, 2, 1))[0].value, "source": "vote"}
                for member in (DIRECTOR, *MEMBERS[:VOTERS - 1]) for cid in voted]
        session.execute(insert(VoteRow), rows)
    dispose_engines()
    return program_id


def list_work_ms(database_url: str, program_id: int, repeats: int = 9) -> float:
    """Best time of computing the current list in this process, one request alone (no HTTP, no Slack):
    the work a `/soap list` does after its ack, before rendering. Best of `repeats`: the run least
    disturbed by the rest of the machine."""
    from bot.services.preference_list import current_list
    from storage.database import Database, dispose_engines

    database = Database(database_url)
    current_list(database, program_id, COMMITTEE)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        current_list(database, program_id, COMMITTEE)
        times.append(time.perf_counter() - began)
    dispose_engines()
    return round(min(times) * 1000, 1)


def command_texts(command: str, candidates: int, rng: random.Random) -> Callable[[], str]:
    from tests.factories import aamc_id

    if command == "candidate":
        return lambda: f"candidate {aamc_id(rng.randrange(candidates))}"
    if command == "list":
        return lambda: "list"
    raise ValueError(command)


def build_batches(sim: Any, sign: Callable[..., dict[str, str]], standin: Any, tag: str,
                  text: Callable[[], str], per_client: int) -> list[list[Request]]:
    batches: list[list[Request]] = []
    for index, user in enumerate(COMMITTEE[:CLIENTS]):
        batch: list[Request] = []
        for number in range(per_client):
            payload = sim.command_payload(text(), user, WAR_ROOM,
                                          response_url=standin.response_url(f"{tag}-{index}-{number}"))
            body = urlencode(payload).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded",
                       "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **sign(body, SIGNING_SECRET)}
            batch.append((body, headers))
        batches.append(batch)
    return batches


# --- one server, one command --------------------------------------------------------------------

# The Web API call that finishes one request's work: a card is posted to the channel (a new thread or a
# reply), a list page is answered ephemerally. An ephemeral refusal or error also finishes a request.
FINAL_CALL = {"candidate": "chat.postMessage", "list": "response_url"}
UNKNOWN = "Unknown subcommand"
UNEXPECTED = "Something went wrong on our side"


def _finished(calls: Sequence[Any], command: str) -> int:
    """How many requests' work is finished, judged from the recorded Web API calls."""
    final = FINAL_CALL[command]

    def refusal(call: Any) -> bool:
        text = str(call.params.get("text", ""))
        return call.method == "response_url" and (UNKNOWN in text or UNEXPECTED in text)

    return sum(1 for call in calls if call.method == final or refusal(call))


def drain(standin: Any, command: str, answers: int, quiet_s: float = DRAIN_QUIET_S,
          limit_s: float = DRAIN_LIMIT_S) -> float | None:
    """Wait for the app's work after the acks: `answers` requests finished (see FINAL_CALL), then no new
    Web API call for `quiet_s`. Returns the seconds until the last call, or None if still busy at `limit_s`."""
    began = time.monotonic()
    seen = -1
    last_change = began
    while True:
        calls = standin.calls
        now = time.monotonic()
        if len(calls) != seen:
            seen, last_change = len(calls), now
        done = _finished(calls, command) >= answers
        if done and now - last_change >= quiet_s:
            return round(max(last_change - began, 0.0), 2)
        if now - began > limit_s:
            return None
        time.sleep(0.02)


def _answers(standin: Any) -> dict[str, Any]:
    calls = standin.calls
    methods = Counter(call.method for call in calls)
    text = standin.all_text()
    return {
        "web_api_calls": dict(sorted(methods.items())),
        "unknown_subcommand_answers": text.count(UNKNOWN),
        "unexpected_error_answers": text.count(UNEXPECTED),
    }


def measure(pool: Executor, server: Served, standin: Any, sim: Any, sign: Callable[..., dict[str, str]],
            command: str, candidates: int, mode: str, seed: int) -> dict[str, Any]:
    """One command against one server in one load pattern:

    - `sustained`: the 20 clients each send PER_CLIENT requests back to back (a stress test).
    - `burst`: BURSTS times, the 20 clients send one request each at the same instant (the whole
      committee a minute before a deadline); the app's work is waited for between bursts.
    """
    rng = random.Random(seed)
    text = command_texts(command, candidates, rng)
    tag = f"{server.name}-{command}-{candidates}-{mode}"
    expected_per_request = 0 if server.name.startswith("bare") else 1
    warm = build_batches(sim, sign, standin, tag + "-warm", text, WARMUP_PER_CLIENT)
    pool.submit(drive, server.port, warm, PHASE_DEADLINE_S).result()
    drain(standin, command, expected_per_request * WARMUP_PER_CLIENT * CLIENTS)
    standin.reset()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    wall = 0.0
    lags: list[float | None] = []
    rounds = [PER_CLIENT] if mode == "sustained" else [1] * BURSTS
    phase_ends = time.monotonic() + PHASE_DEADLINE_S
    for number, per_client in enumerate(rounds):
        if time.monotonic() > phase_ends:
            break
        batches = build_batches(sim, sign, standin, f"{tag}-{number}", text, per_client)
        load = pool.submit(drive, server.port, batches, PHASE_DEADLINE_S).result()
        latencies.extend(load["latencies_s"])  # every request counts, a failed one as slow as it was
        statuses.update(load["statuses"])
        wall += load["wall_s"]
        # The stand-in is not reset between bursts: wait for one answer per request sent so far.
        lags.append(drain(standin, command, expected_per_request * len(latencies)))
    answers = _answers(standin)
    standin_calls = standin.calls
    standin.reset()
    finished = [lag for lag in lags if lag is not None]
    return {
        "command": command,
        "mode": mode,
        "requests": len(latencies),
        "statuses": dict(statuses),
        "acked": int(statuses.get("200", 0)),
        **latency_summary(latencies),
        "over_3s": sum(1 for seconds in latencies if seconds >= SLACK_ACK_LIMIT_S),
        "acks_per_s": round(len(latencies) / wall, 1) if wall else None,
        "load_wall_s": round(wall, 2),
        "work_lag_s": max(finished) if finished and len(finished) == len(lags) else None,
        **answers,
        "finished": _finished(standin_calls, command) if expected_per_request else None,
        "landed": answers["unknown_subcommand_answers"] == 0,
    }


# --- the whole ack benchmark ----------------------------------------------------------------------


def run(pool: Executor, scales: Sequence[int] = SCALES, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Every scale: the bare app, then ours; each command in each load pattern. Also the peak memory of
    ours after it was exercised. Returns the results dict behind docs/benchmarks.md."""
    standin_class, sim_class, sign = slack_stand_ins()
    from bench.bare_app import __name__ as bare_module

    per_scale: dict[str, Any] = {}
    memory: dict[str, Any] = {}
    startup: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="soap-bench-ack-") as tmp, standin_class() as standin:
        work = Path(tmp)
        standin.set_channel(WAR_ROOM, name="soap-war-room", is_private=True)
        standin.set_members(WAR_ROOM, list(COMMITTEE))
        for user in COMMITTEE:
            standin.add_user(user, name=user.lower(), real_name=f"Dr. Bench {user[-4:]}")
        sim = sim_class("http://127.0.0.1:1", SIGNING_SECRET, team_id=TEAM_ID, standin=standin)
        for candidates in scales:
            db_url = f"sqlite:///{work / f'soap-{candidates}.db'}"
            began = time.perf_counter()
            program_id = prepare_database(db_url, candidates)
            log(f"  {candidates:>6} candidates prepared in {time.perf_counter() - began:.1f} s")
            scale: dict[str, Any] = {"candidates": candidates}
            try:
                scale["list_work_ms"] = list_work_ms(db_url, program_id)
            except ImportError:
                scale["list_work_ms"] = None
            for name, argv in (("bare", [sys.executable, "-m", bare_module]), ("ours", _soapbot_argv())):
                scale[name] = {mode: {} for mode in MODES}
                with serving(f"{name}-{candidates}", argv, standin.url, db_url, work) as server:
                    startup.setdefault(name, []).append(round(server.started_s, 2))
                    for mode in MODES:
                        for offset, command in enumerate(COMMANDS):
                            figures = measure(pool, server, standin, sim, sign, command, candidates, mode,
                                              seed=candidates * 10 + offset)
                            scale[name][mode][command] = figures
                            log(f"  {candidates:>6} {name:<4} {mode:<9} {command:<9} p50 {figures.get('p50_ms')} ms"
                                f"  p99 {figures.get('p99_ms')} ms  acked {figures['acked']}/{figures['requests']}"
                                f"  work done {figures['work_lag_s']} s after the last ack")
                    if name == "ours":
                        memory[str(candidates)] = server.memory()
            scale["ratios"] = {
                mode: {command: {key: ratio(scale["ours"][mode][command].get(f"{key}_ms", 0.0),
                                            scale["bare"][mode][command].get(f"{key}_ms", 0.0))
                                 for key in ("p50", "p95", "p99")} for command in COMMANDS}
                for mode in MODES}
            per_scale[str(candidates)] = scale
    landed = {command: all(s["ours"][mode][command]["landed"] for s in per_scale.values() for mode in MODES)
              for command in COMMANDS}
    worst = {mode: {command: max((s["ratios"][mode][command]["p99"] or 0.0) for s in per_scale.values())
                    for command in COMMANDS} for mode in MODES}
    return {
        "clients": CLIENTS,
        "modes": {"burst": f"{BURSTS} bursts of {CLIENTS} simultaneous requests, work drained between bursts",
                  "sustained": f"{CLIENTS} clients x {PER_CLIENT} requests back to back"},
        "warmup_per_client": WARMUP_PER_CLIENT,
        "voters": VOTERS,
        "voted_candidates": VOTED,
        "web_concurrency": 2,
        "scales": per_scale,
        "memory": memory,
        "startup_s": startup,
        "landed": landed,
        "worst_p99_ratio": worst,
        "target_p99_ratio": TARGET_P99_RATIO,
        "met": {mode: {command: landed[command] and worst[mode][command] <= TARGET_P99_RATIO
                       for command in COMMANDS} for mode in MODES},
    }


if __name__ == "__main__":
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    chosen = tuple(int(arg) for arg in sys.argv[1:]) or SCALES
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as executor:
        print(json.dumps(run(executor, chosen), indent=2))
