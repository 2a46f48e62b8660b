"""`soapbot` as an operator starts it: a subprocess with its own environment, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

SOAPBOT = str(Path(sys.executable).with_name("soapbot"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def soapbot_env(**values: str) -> dict[str, str]:
    """This process's environment without the Slack, database and port settings, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "PORT"))}
    env.update(values)
    return env


def stop(process: subprocess.Popen[bytes]) -> str:
    """SIGTERM (then kill after 15 s); what the process wrote to stderr."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return (process.stderr.read() if process.stderr else b"").decode(errors="replace")


def start(command: str, cwd: Path, **env: str) -> subprocess.Popen[bytes]:
    """`soapbot <command>` in `cwd` with `env` over this process's environment; stderr kept for `stop`."""
    return subprocess.Popen([SOAPBOT, command], cwd=cwd, env=soapbot_env(**env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def wait_healthy(process: subprocess.Popen[bytes], url: str, timeout: float = 60.0,
                 ready: Callable[[], bool] = lambda: True, log_tail: Callable[[], str] = lambda: "") -> None:
    """Wait until `soapbot serve` answers `/healthz` (and `ready()` holds); fail the test, with what the
    process wrote, if it exits or takes longer than `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200 and ready():
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"soapbot serve did not become healthy: {stop(process)} {log_tail()}")
        time.sleep(0.1)  # polling the health endpoint, as a load balancer does
