"""Benchmarks for SOAP War Room (issue #11), run by `make bench` (`python -m bench`).

Figures, all measured in one run on this machine and written to `docs/benchmarks.md` and
`bench/results.json`:

- `bench.ack_latency`: acknowledgement latency of `/soap candidate` and `/soap list` through
  `soapbot serve` (gunicorn), 20 concurrent signed clients, next to `bench.bare_app` (a Bolt app
  that only acks, served by the same gunicorn configuration), at 100, 1,000 and 10,000 candidates;
  peak RSS of the served app with 10,000 candidates (`bench.memory`).
- `bench.import_speed`: 5,000 ERAS rows through the import service vs `csv` + `executemany`.
- `bench.bench_aggregation`: the preference list of 300 candidates over 15 ballots vs a reference.

Targets are benchmarks, never timed tests: ack p99 at most 1.5x the bare app, import at most 3x the
bare baseline, aggregation under 0.3 s. This module holds the small shared pieces.
"""

from __future__ import annotations

import math
import os
import platform
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_JSON = ROOT / "bench" / "results.json"
RESULTS_DOC = ROOT / "docs" / "benchmarks.md"

# The committee used by every served benchmark (synthetic Slack ids, never real people).
TEAM_ID = "T0BENCH001"
WAR_ROOM = "G0BENCHWAR"
DIRECTOR = "U0BDIRECTR"
MEMBERS = tuple(f"U0BMEM{i:04d}" for i in range(1, 20))
COMMITTEE = (DIRECTOR, *MEMBERS)  # 20 people: one per concurrent client
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"  # noqa: S105 (loopback stand-in only)
BOT_TOKEN = "xoxb-bench-0000-token"  # noqa: S105 (loopback stand-in only)


def percentile(samples: Sequence[float], pct: float) -> float:
    """The `pct`-th percentile by the nearest-rank method (a value that was actually observed).

    Nearest rank: the smallest sample such that at least `pct` percent of the samples are at or
    below it; p100 is the maximum and p0 the minimum. Raises ValueError on no samples.
    """
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, got {pct}")
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(samples_s: Sequence[float]) -> dict[str, float | int]:
    """p50/p95/p99/max in milliseconds (rounded to 0.1 ms) and the sample count."""
    if not samples_s:
        return {"n": 0}
    return {
        "n": len(samples_s),
        "p50_ms": round(percentile(samples_s, 50) * 1000, 1),
        "p95_ms": round(percentile(samples_s, 95) * 1000, 1),
        "p99_ms": round(percentile(samples_s, 99) * 1000, 1),
        "max_ms": round(max(samples_s) * 1000, 1),
    }


def ratio(ours: float, base: float) -> float | None:
    """ours / base rounded to 2 places, or None when the base is zero (nothing to compare)."""
    if base <= 0:
        return None
    return round(ours / base, 2)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slack_stand_ins() -> tuple[Any, Any, Any]:
    """(SlackStandIn, SlackClientSim, sign): the local Slack of `bot.console` and `tests.harness` (the Web API stand-in
    and the signed-request client the tests use)."""
    from bot.console.signing import SlackClientSim, sign
    from tests.harness.slack_api import SlackStandIn

    return SlackStandIn, SlackClientSim, sign


def machine_facts() -> dict[str, Any]:
    facts: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
    }
    try:
        import sqlite3

        facts["sqlite"] = sqlite3.sqlite_version
    except ImportError:  # pragma: no cover
        pass
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                facts["memory_total_mib"] = int(line.split()[1]) // 1024
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    packages: dict[str, str | None] = {}
    for name in ("slack-bolt", "slack-sdk", "sqlalchemy", "gunicorn", "pydantic", "numpy"):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    facts["packages"] = packages
    return facts
