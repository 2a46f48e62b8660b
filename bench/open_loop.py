"""First cards at fixed arrival rates (open loop): ours next to a hand-rolled peer and a bare Bolt app.

A closed-loop burst (`bench.ack_latency`) lets the load generator wait for each answer, so an app that
acknowledges first floods its own work queue and the figure shows queueing. Here requests leave at a
fixed rate whatever the app does (10, 40 and 80 per second), each asking the first card of a
different applicant, and two latencies are taken per request:

- **ack**: from sending the signed `/soap candidate <AAMC ID>` to the last byte of the HTTP answer
  (what Slack's 3-second timer sees);
- **card in channel**: from sending it to the card's chat.postMessage reaching the Web API stand-in
  (what the committee sees).

Three servers, all through `bot.web.serve` (gunicorn, WEB_CONCURRENCY=2 gthread workers x 8 threads),
against the same database and the same stand-in, started together and driven one after the other at
each rate: `bench.bare_app` (ack only), `bench.peer_app` (ack, one read, a five-field card, post) and
`soapbot serve`. On SQLite, and on PostgreSQL when one is reachable (BENCH_POSTGRES_URL, default the
server of TEST_DATABASE_URL): a fresh database is created and dropped.

The load runs in a spawned process; a request that cannot leave on time (all sender threads busy)
leaves late and is counted as such (`late_sends`). Clocks: wall time (time.time) on both sides, the
same machine. Percentiles are nearest-rank, in milliseconds.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import COMMITTEE, SIGNING_SECRET, TEAM_ID, WAR_ROOM, latency_summary, ratio, slack_stand_ins
from bench.ack_latency import Served, _soapbot_argv, post_event, prepare_database, serving

RATES = (10, 40, 80)
PHASE_SECONDS = 8.0
WARMUP = 20
SENDERS = 64               # sender threads in the load process: requests in flight at once, at most
CARD_WAIT_S = 30.0         # bound on waiting for the last card of a phase
TARGETS = {"card_p99_vs_peer": {40: 2.0, 80: 3.0}, "ack_p99_vs_bare": {40: 1.5}}
SERVERS = ("bare", "peer", "ours")

Request = tuple[str, bytes, dict[str, str]]  # (AAMC ID, body, headers)


# --- the load (runs in a spawned child process) -----------------------------------------------


def open_loop(port: int, requests: Sequence[Request], rate: float) -> list[dict[str, Any]]:
    """Send request i at start + i/rate (whatever the answers do); per request: AAMC ID, when it left
    (wall clock), how late it left, the ack latency and the HTTP status."""
    results: list[dict[str, Any]] = [{} for _ in requests]

    def send(index: int, due: float) -> None:
        aamc, body, headers = requests[index]
        sent_wall, began = time.time(), time.perf_counter()
        status = post_event(port, body, headers)
        results[index] = {"aamc": aamc, "sent": sent_wall, "late_s": max(0.0, began - due),
                          "ack_s": time.perf_counter() - began, "status": status}

    with ThreadPoolExecutor(max_workers=SENDERS) as senders:
        start = time.perf_counter() + 0.2
        for index in range(len(requests)):
            due = start + index / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)  # the arrival schedule itself
            senders.submit(send, index, due)
    return results


# --- one phase ---------------------------------------------------------------------------------


def _cards_posted(standin: Any, wanted: set[str], since: float) -> dict[str, float]:
    """AAMC ID -> when its first card reached the stand-in (chat.postMessage whose text names it)."""
    posted: dict[str, float] = {}
    for call in standin.calls:
        if call.method != "chat.postMessage" or call.at < since:
            continue
        text = str(call.params.get("text", ""))
        start = text.rfind("(")
        aamc = text[start + 1:text.find(")", start)] if start >= 0 else ""
        if aamc in wanted and aamc not in posted:
            posted[aamc] = call.at
    return posted


def phase(pool: Executor, server: Served, standin: Any, requests: Sequence[Request], rate: float,
          cards: bool) -> dict[str, Any]:
    standin.reset()
    since = time.time()
    sent = pool.submit(open_loop, server.port, list(requests), rate).result()
    wanted = {r["aamc"] for r in sent}
    posted: dict[str, float] = {}
    if cards:
        deadline = time.monotonic() + CARD_WAIT_S
        while time.monotonic() < deadline:
            posted = _cards_posted(standin, wanted, since)
            if len(posted) >= len(wanted):
                break
            time.sleep(0.05)
    acks = [r["ack_s"] for r in sent if r]
    card_s = [posted[r["aamc"]] - r["sent"] for r in sent if r and r["aamc"] in posted]
    errors = standin.all_text().count("Something went wrong on our side")
    figures: dict[str, Any] = {
        "requests": len(sent),
        "acked": sum(1 for r in sent if r.get("status") == 200),
        "late_sends": sum(1 for r in sent if r.get("late_s", 0) > 0.05),
        "ack": latency_summary(acks),
        "error_answers": errors,
    }
    if cards:
        figures["card"] = latency_summary(card_s)
        figures["cards_posted"] = len(posted)
    return figures


# --- databases ---------------------------------------------------------------------------------


def postgres_server_url() -> str | None:
    """A PostgreSQL server to create the bench database on, or None when none answers."""
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = "postgresql://postgres@127.0.0.1:5432/postgres"
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return None
    return url


@contextmanager
def fresh_database(backend: str, work: Path, name: str) -> Iterator[str]:
    """A new, empty database URL on `backend` ("sqlite" or "postgresql"), dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{work / f'{name}.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = postgres_server_url()
    if server is None:
        raise RuntimeError("no PostgreSQL server reachable")
    database = f"soap_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield make_url(server).set(database=database).render_as_string(hide_password=False)
    finally:
        from storage.database import dispose_engines

        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


# --- the whole open-loop benchmark ----------------------------------------------------------------


def _requests(sim: Any, sign: Callable[..., dict[str, str]], standin: Any, tag: str,
              indexes: Sequence[int]) -> list[Request]:
    from tests.factories import aamc_id

    out: list[Request] = []
    for number, index in enumerate(indexes):
        aamc = aamc_id(index)
        user = COMMITTEE[number % len(COMMITTEE)]
        payload = sim.command_payload(f"candidate {aamc}", user, WAR_ROOM,
                                      response_url=standin.response_url(f"{tag}-{number}"))
        body = urlencode(payload).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **sign(body, SIGNING_SECRET)}
        out.append((aamc, body, headers))
    return out


def run_backend(pool: Executor, backend: str, rates: Sequence[int] = RATES, seconds: float = PHASE_SECONDS,
                log: Callable[[str], None] = print) -> dict[str, Any]:
    standin_class, sim_class, sign = slack_stand_ins()
    from bench.bare_app import __name__ as bare_module
    from bench.peer_app import __name__ as peer_module

    counts = [int(rate * seconds) for rate in rates]
    candidates = WARMUP + sum(counts)
    argv = {"bare": [sys.executable, "-m", bare_module], "peer": [sys.executable, "-m", peer_module],
            "ours": _soapbot_argv()}
    with tempfile.TemporaryDirectory(prefix="soap-bench-open-") as tmp, standin_class() as standin, \
            fresh_database(backend, Path(tmp), "open") as db_url:
        work = Path(tmp)
        standin.set_channel(WAR_ROOM, name="soap-war-room", is_private=True)
        standin.set_members(WAR_ROOM, list(COMMITTEE))
        for user in COMMITTEE:
            standin.add_user(user, name=user.lower(), real_name=f"Dr. Bench {user[-4:]}")
        sim = sim_class("http://127.0.0.1:1", SIGNING_SECRET, team_id=TEAM_ID, standin=standin)
        began = time.perf_counter()
        prepare_database(db_url, candidates)
        log(f"  {backend}: {candidates} candidates prepared in {time.perf_counter() - began:.1f} s")
        with ExitStack() as stack:
            servers = {name: stack.enter_context(serving(f"{name}-{backend}", argv[name], standin.url, db_url, work))
                       for name in SERVERS}
            for name, server in servers.items():  # warm every worker: imports, connections, caches
                phase(pool, server, standin, _requests(sim, sign, standin, f"warm-{name}", range(WARMUP)), 20,
                      cards=name != "bare")
            per_rate: dict[str, Any] = {}
            first = WARMUP
            for rate, count in zip(rates, counts, strict=True):
                indexes = range(first, first + count)
                first += count
                figures = {}
                for name, server in servers.items():
                    requests = _requests(sim, sign, standin, f"{name}-{rate}", indexes)
                    figures[name] = phase(pool, server, standin, requests, rate, cards=name != "bare")
                    card = figures[name].get("card", {})
                    log(f"  {backend} {rate:>3}/s {name:<4} ack p50 {figures[name]['ack'].get('p50_ms')} "
                        f"p99 {figures[name]['ack'].get('p99_ms')} ms; card p50 {card.get('p50_ms')} "
                        f"p99 {card.get('p99_ms')} ms; late sends {figures[name]['late_sends']}")
                figures["ratios"] = {
                    "card_p99_vs_peer": ratio(figures["ours"]["card"].get("p99_ms", 0.0),
                                              figures["peer"]["card"].get("p99_ms", 0.0)),
                    "card_p50_vs_peer": ratio(figures["ours"]["card"].get("p50_ms", 0.0),
                                              figures["peer"]["card"].get("p50_ms", 0.0)),
                    "ack_p99_vs_bare": ratio(figures["ours"]["ack"].get("p99_ms", 0.0),
                                             figures["bare"]["ack"].get("p99_ms", 0.0)),
                }
                per_rate[str(rate)] = figures
    return {"rates": per_rate, "candidates": candidates, "seconds_per_rate": seconds}


def run(pool: Executor, rates: Sequence[int] = RATES, seconds: float = PHASE_SECONDS,
        log: Callable[[str], None] = print, on: Sequence[str] = ("sqlite", "postgresql")) -> dict[str, Any]:
    backends: dict[str, Any] = {}
    for backend in on:
        if backend == "postgresql" and postgres_server_url() is None:
            backends[backend] = {"missing": "no PostgreSQL server reachable (set BENCH_POSTGRES_URL)"}
            continue
        backends[backend] = run_backend(pool, backend, rates, seconds, log)
    return {"backends": backends, "targets": TARGETS, "senders": SENDERS,
            "web_concurrency": 2, "threads": 8}


if __name__ == "__main__":
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    chosen = tuple(int(arg) for arg in sys.argv[1:] if arg.isdigit()) or RATES
    on = tuple(arg for arg in sys.argv[1:] if not arg.isdigit()) or ("sqlite", "postgresql")
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as executor:
        print(json.dumps(run(executor, chosen, on=on), indent=2))
