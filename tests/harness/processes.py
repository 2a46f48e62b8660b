"""`soapbot` as an operator starts it: a subprocess with its own environment, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

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
