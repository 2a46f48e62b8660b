"""The locks (requirements.txt, requirements-dev.txt) are what every install uses (`make run`, `make test`,
CI, a platform's build): they must pin, with hashes, everything pyproject.toml asks for, at versions it allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pins(lock: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of each `name==version` entry of a lock."""
    text = (ROOT / lock).read_text()
    pins: dict[str, tuple[str, int]] = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", text):
        head = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", entry)
        if head:
            pins[canonicalize_name(head.group(1))] = (head.group(2), entry.count("--hash=sha256:"))
    return pins


def _unpinned(requirements: list[str], pins: dict[str, tuple[str, int]]) -> list[str]:
    return [r for r in requirements
            if canonicalize_name(Requirement(r).name) not in pins
            or not Requirement(r).specifier.contains(pins[canonicalize_name(Requirement(r).name)][0])]


def test_the_runtime_lock_pins_every_dependency_at_an_allowed_version_with_hashes() -> None:
    pins = _pins("requirements.txt")
    assert not _unpinned(PROJECT["dependencies"], pins), "run `make lock`: pyproject.toml changed"
    assert all(hashes for _, hashes in pins.values())


def test_the_runtime_lock_holds_nothing_of_the_toolchain() -> None:
    runtime = _pins("requirements.txt")
    tools = {canonicalize_name(Requirement(r).name) for r in PROJECT["optional-dependencies"]["dev"]}
    assert not tools & set(runtime)


def test_the_dev_lock_pins_the_toolchain_and_the_same_runtime_versions() -> None:
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")
    assert not _unpinned(PROJECT["optional-dependencies"]["dev"], dev), "run `make lock`: pyproject.toml changed"
    assert {name: dev.get(name) for name in runtime} == runtime
    assert all(hashes for _, hashes in dev.values())
