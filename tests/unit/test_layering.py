"""The dependency rule, checked on the import graph of the product (every import, inside functions
and under TYPE_CHECKING too): handlers -> services -> domain and storage; builders -> domain only;
the domain imports no Slack and no SQLAlchemy; handlers no storage and no SQLAlchemy; no service or
domain module takes a type or constant (a capitalised name) from a builder.

A cycle or a builder reaching for a service makes CI fail here, with the chain that does it."""

from __future__ import annotations

import ast
import graphlib
import os
from pathlib import Path
from typing import Any

import pytest

# CI installs the dev dependencies, so there a missing grimp fails; a developer's older venv skips, saying why.
if os.environ.get("CI"):
    import grimp
else:
    grimp = pytest.importorskip("grimp", reason="grimp is a dev dependency: run `make test` or pip install -e '.[dev]'")

PACKAGES = ("bot", "handlers", "storage")


@pytest.fixture(scope="module")
def graph() -> Any:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def test_no_module_imports_itself_back_through_others(graph: Any) -> None:
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as error:
        pytest.fail("import cycle: " + " -> ".join(error.args[1]))


@pytest.mark.parametrize(("importer", "imported"), [
    ("bot.messages", "bot.services"),  # builders draw values; they never fetch them
    ("bot.messages", "handlers"),
    ("bot.messages", "storage"),
    ("bot.domain", "bot.services"),  # the domain is plain Python: no services, storage or Slack
    ("bot.domain", "bot.messages"),
    ("bot.domain", "storage"),
    ("bot.domain", "handlers"),
    ("bot.services", "handlers"),
    ("storage", "bot.services"),  # storage maps the domain's values, nothing else of the application
    ("storage", "bot.messages"),
    ("storage", "handlers"),
])
def test_dependencies_point_one_way(graph: Any, importer: str, imported: str) -> None:
    chain = graph.find_shortest_chain(importer=importer, imported=imported, as_packages=True)
    assert chain is None, f"{importer} must not import {imported}: " + " -> ".join(chain or ())


def test_storage_imports_nothing_of_the_application_but_the_domain(graph: Any) -> None:
    """The models store the domain's states as their values (bot.domain's enums); anything else of
    the application stays out of storage."""
    reached = {imported for module in graph.find_descendants("storage") | {"storage"}
               for imported in graph.find_modules_directly_imported_by(module)
               if imported.startswith("bot.") or imported == "bot"}
    assert {m for m in reached if not m.startswith("bot.domain.")} == set()


@pytest.mark.parametrize(("importer", "imported"), [
    ("bot.domain", "slack_sdk"),  # the domain is plain Python
    ("bot.domain", "slack_bolt"),
    ("bot.domain", "sqlalchemy"),
    ("handlers", "storage"),  # handlers parse, call a service and render: they never touch storage
    ("handlers", "sqlalchemy"),
])
def test_no_layer_reaches_past_its_neighbours(importer: str, imported: str) -> None:
    graph = grimp.build_graph(*PACKAGES, "slack_sdk", "slack_bolt", "sqlalchemy", cache_dir=None)
    direct = {(module, target) for module in graph.find_descendants(importer) | {importer}
              for target in graph.find_modules_directly_imported_by(module)
              if target == imported or target.startswith(imported + ".")}
    assert direct == set(), f"{importer} must not import {imported}: {sorted(direct)}"


def _capitalised_names_from_builders(path: Path) -> list[str]:
    """`from bot.messages… import Name` and `<alias of a bot.messages module>.Name` in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.messages"):
            for name in node.names:
                if name.name[:1].isupper():
                    found.append(f"{node.module}.{name.name}")
                elif node.module == "bot.messages":
                    aliases.add(name.asname or name.name)  # `from bot.messages import notes as messages`
        elif isinstance(node, ast.Import):
            aliases |= {name.asname for name in node.names if name.name.startswith("bot.messages") and name.asname}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr[:1].isupper()):
            found.append(f"{node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("package", ["bot/services", "bot/domain"])
def test_services_and_the_domain_take_no_type_or_constant_from_a_builder(package: str) -> None:
    """Values, states and rules live in the domain; a service may call a builder (to draw what it
    posts) but takes no type or constant from one."""
    root = Path(__file__).resolve().parents[2]
    found = {str(path.relative_to(root)): names for path in sorted((root / package).rglob("*.py"))
             if (names := _capitalised_names_from_builders(path))}
    assert found == {}
