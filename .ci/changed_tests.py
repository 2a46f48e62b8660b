"""The test files a change touches: test files it edits, and test files that name a module it edits.

Used by `.ci/landing-check` so that a landing runs the tests of what changed, not the whole suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot/", "handlers/", "storage/")


def changed_files(base: str) -> list[str]:
    committed = subprocess.run(["git", "diff", "--name-only", f"{base}...HEAD"], capture_output=True,
                               text=True, check=True, cwd=ROOT).stdout.split()
    uncommitted = subprocess.run(["git", "diff", "--name-only", "HEAD"], capture_output=True, text=True,
                                 check=True, cwd=ROOT).stdout.split()
    return sorted(set(committed) | set(uncommitted))


def module_names(path: str) -> list[str]:
    dotted = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    package, _, leaf = dotted.rpartition(".")
    names = [dotted]
    if package:
        names.append(f"from {package} import {leaf}")
    return names


def main(base: str) -> None:
    files = changed_files(base)
    tests = {f for f in files if f.startswith("tests/") and Path(f).name.startswith("test_") and (ROOT / f).exists()}
    needles = [name for f in files if f.startswith(PACKAGES) and f.endswith(".py") for name in module_names(f)]
    if needles:
        for test in (ROOT / "tests").rglob("test_*.py"):
            text = test.read_text(encoding="utf-8")
            if any(needle in text for needle in needles):
                tests.add(str(test.relative_to(ROOT)))
    print("\n".join(sorted(tests)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "main")
