"""The console stays a package of its own, and the product ships no test-only control."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.console.web_api import LocalWebApi

ROOT = Path(__file__).resolve().parents[2]
# The command that starts the console loads it when it runs; nothing else in the app may.
ALLOWED = {ROOT / "bot" / "cli_commands" / "console.py"}


def _console_imports(path: Path) -> list[tuple[int, bool]]:
    """(line, at module level) of every import of bot.console in `path`, inside functions too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        if any(name == "bot.console" or name.startswith("bot.console.") for name in names):
            found.append((node.lineno, id(node) in top_level))
    return found


def test_no_module_of_the_app_imports_the_console() -> None:
    offenders = []
    for folder in ("bot", "handlers", "storage"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.is_relative_to(ROOT / "bot" / "console"):
                continue
            for line, top_level in _console_imports(path):
                if path not in ALLOWED or top_level:
                    offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == []


def test_the_command_that_starts_the_console_loads_it_only_when_it_runs() -> None:
    imports = _console_imports(ROOT / "bot" / "cli_commands" / "console.py")
    assert imports and not any(top_level for _, top_level in imports)


def test_the_local_web_api_has_no_fault_injection() -> None:
    for control in ("fail", "hold", "reset", "wait_for"):
        assert not hasattr(LocalWebApi, control), control
