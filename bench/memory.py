"""Memory of a served process tree, read from /proc (Linux): peak RSS (VmHWM) and RSS now (VmRSS).

`soapbot serve` is a gunicorn master plus WEB_CONCURRENCY worker processes; the data lives in the
workers. `tree_memory(master_pid)` reports each, in MiB. The figure in docs/benchmarks.md is read
from `soapbot serve` with 10,000 candidates after the acknowledgement benchmark has exercised it
(`bench.ack_latency`), just before it is stopped.

"Total" adds the peaks of master and workers: an upper bound, since pages shared after fork are
counted in each process and the peaks need not coincide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def status_kb(pid: int, name: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (`VmHWM` peak RSS, `VmRSS` RSS now), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def children(pid: int) -> list[int]:
    """The direct child processes of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry.name))
    return sorted(found)


def _mib(kb: int | None) -> float | None:
    return round(kb / 1024, 1) if kb is not None else None


def tree_memory(master: int) -> dict[str, Any]:
    """Peak and current RSS (MiB) of a master process and each of its direct children."""
    workers = children(master)
    worker_peaks = [status_kb(pid, "VmHWM") for pid in workers]
    worker_now = [status_kb(pid, "VmRSS") for pid in workers]
    master_peak = status_kb(master, "VmHWM")
    peaks = [kb for kb in [master_peak, *worker_peaks] if kb is not None]
    known = [kb for kb in worker_peaks if kb is not None]
    return {
        "workers": len(workers),
        "master_peak_mib": _mib(master_peak),
        "worker_peak_mib": [_mib(kb) for kb in worker_peaks],
        "worker_rss_now_mib": [_mib(kb) for kb in worker_now],
        "max_worker_peak_mib": _mib(max(known)) if known else None,
        "total_peak_mib": _mib(sum(peaks)) if peaks else None,
    }
