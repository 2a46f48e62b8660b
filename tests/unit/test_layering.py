"""The dependency rule, checked on the import graph of the product (every import, inside functions
and under TYPE_CHECKING too): handlers -> services -> domain and storage; builders -> domain only.

A cycle or a builder reaching for a service makes CI fail here, with the chain that does it."""

from __future__ import annotations

import graphlib
import os
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
