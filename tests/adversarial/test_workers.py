"""Replay protection across real web workers: `soapbot serve` as a process, with two gunicorn workers.

The serve process runs exactly as an operator runs it (WEB_CONCURRENCY=2, SLACK_API_URL at the Web
API stand-in), on loopback. Which worker answers a connection is the kernel's choice; each refusal
log line names its worker, so the test knows that a worker other than the one that accepted the
request refused its replay.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.console.signing import SlackClientSim, sign
from storage.database import Database
from storage.models import ReferenceNote
from tests.adversarial.conftest import import_rows
from tests.e2e.conftest import BOT_TOKEN, DIRECTOR, MEMBERS, SIGNING_SECRET, WAR_ROOM
from tests.factories import aamc_id, applicant_row
from tests.harness.processes import SOAPBOT, free_port, soapbot_env, stop, wait_healthy
from tests.harness.slack_api import SlackStandIn

FORM = "application/x-www-form-urlencoded"
FLOOD = 100_050
FLOOD_SECONDS = 420  # the bound on the whole flood, on a loaded 2-core machine


@pytest.fixture
def two_workers(standin: SlackStandIn, database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`soapbot serve` with two gunicorn workers; yields its URL and the file its stderr goes to."""
    port = free_port()
    env = soapbot_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=standin.url,
                      DATABASE_URL=database_url, PORT=str(port), WEB_CONCURRENCY="2", LOG_LEVEL="INFO")
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([SOAPBOT, "serve"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                   stderr=log_file)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(process, url, ready=lambda: log_path.read_text().count("Booting worker") >= 2,
                 log_tail=lambda: log_path.read_text()[-2000:])
    try:
        yield url, log_path
    finally:
        stop(process)


def _status(connection: socket.socket, request: bytes, buffer: bytearray) -> int:
    """Send one request on a kept-alive connection; the status of its answer (the body is read past)."""
    connection.sendall(request)
    while b"\r\n\r\n" not in buffer:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        buffer.extend(chunk)
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(rest) < length:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        rest += chunk
    buffer[:] = rest[length:]
    return int(head.split(b" ", 2)[1])


def _request(host: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n{head}\r\n").encode() + body


def _flood(url: str, count: int, connections: int = 8) -> dict[int, int]:
    """`count` unsigned posts over kept-alive loopback connections; how many got each status."""
    host, port = url.removeprefix("http://").split(":")
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    per = [count // connections + (1 if n < count % connections else 0) for n in range(connections)]

    def send(n: int) -> None:
        seen: dict[int, int] = {}
        with socket.create_connection((host, int(port)), timeout=60) as connection:
            buffer = bytearray()
            for i in range(n):
                body = f"command=%2Fsoap&text=ref+{aamc_id(1)}+forged&n={i}".encode()
                headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(int(time.time())),
                           "X-Slack-Signature": "v0=" + f"{i:064x}"[-64:]}
                status = _status(connection, _request(host, body, headers), buffer)
                seen[status] = seen.get(status, 0) + 1
        with lock:
            for status, times in seen.items():
                statuses[status] = statuses.get(status, 0) + times

    threads = [threading.Thread(target=send, args=(n,)) for n in per]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _notes(database_url: str) -> int:
    with Database(database_url).reading() as session:
        return session.scalar(select(func.count()).select_from(ReferenceNote)) or 0


def _replay_workers(log: str) -> set[str]:
    return {m for m in re.findall(r"refused \d+ replayed requests \(worker (\d+)", log)}


@pytest.mark.timeout(FLOOD_SECONDS + 120)
@pytest.mark.timing
def test_a_replay_is_refused_by_every_worker_even_after_a_flood_of_unsigned_posts(
        two_workers: tuple[str, Path], standin: SlackStandIn, database_url: str) -> None:
    """Defence: bot.web verifies before it remembers, and remembers in the database (bot.web.ReplayMemory),
    logging refusals once per burst. Before: each worker had its own memory (a replay on the other of
    the default 2 workers stored a second note), and 100,050 unsigned posts flushed it and wrote 28 MB
    of log."""
    url, log_path = two_workers
    slack = SlackClientSim(url, SIGNING_SECRET, standin=standin)
    assert slack.command("setup Internal Medicine – Workers", DIRECTOR, WAR_ROOM).status == 200
    standin.wait_for("response_url")
    import_rows(Database(database_url), [applicant_row(1)])
    body = urlencode(slack.command_payload(f"ref {aamc_id(1)} Called the dean: dependable.", MEMBERS[0], WAR_ROOM))
    captured = {"Content-Type": FORM, **sign(body, SIGNING_SECRET)}
    assert slack.raw_post(body, captured).status == 200
    standin.wait_for("chat.postMessage", count=2, timeout=15)  # the card, then the note in its thread
    assert _notes(database_url) == 1

    # The replay, on many connections held open at once: the kernel hands them to both workers.
    host, port = url.removeprefix("http://").split(":")
    replay = _request(host, body.encode(), captured)
    rounds = 0
    while len(_replay_workers(log_path.read_text())) < 2 and rounds < 5:
        rounds += 1
        connections = [socket.create_connection((host, int(port)), timeout=10) for _ in range(16)]
        try:
            assert {_status(c, replay, bytearray()) for c in connections} == {401}, log_path.read_text()[-3000:]
        finally:
            for connection in connections:
                connection.close()
        time.sleep(0.2)  # the workers' log lines reach the file
    assert len(_replay_workers(log_path.read_text())) == 2, log_path.read_text()[-3000:]
    assert _notes(database_url) == 1

    lines_before = len(log_path.read_text().splitlines())
    started = time.monotonic()
    statuses = _flood(url, FLOOD)
    took = time.monotonic() - started
    assert statuses == {401: FLOOD}
    assert took < FLOOD_SECONDS, f"{FLOOD} unsigned posts took {took:.0f} s"
    assert slack.raw_post(body, captured).status == 401
    time.sleep(0.5)
    assert _notes(database_url) == 1
    added = log_path.read_text().splitlines()[lines_before:]
    # One line per burst and worker, at most once a minute each: a handful, not one per post.
    assert len(added) <= 4 + 2 * int(took // 60), added[:10]
    assert all("refused" in json.loads(line)["msg"] for line in added), added[:10]
