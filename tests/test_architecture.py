"""The import graph of ``sim/`` shows the architecture: layers point down, nothing goes round in circles.

Layers, from the bottom: ``vocabulary`` and ``errors``; ``scenario``; ``model`` (stores, then
phases, then the Mesa model); ``outputs``; ``experiments``; ``validation``; the faces ``report``
and ``dashboard`` (the page); ``cli`` and ``docs``.
Imports under ``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest
from conftest import REPO_ROOT

SIM = REPO_ROOT / "sim"


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """The package modules ``path`` imports when it runs (type-checking-only imports left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {name for name in names if name in modules and name != here}
    return found


def import_graph() -> nx.DiGraph:
    paths = sorted(SIM.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for path in paths:
        graph.add_edges_from((module_name(path), target) for target in runtime_imports(path, modules))
    return graph


GRAPH = import_graph()
#: the top layers: what people look at and type; nothing below may import them
FACES = ("sim.report", "sim.dashboard", "sim.cli", "sim.docs")


def test_the_graph_is_read():
    """The reader sees real arrows (a graph with none would pass every test below)."""
    assert GRAPH.has_edge("sim.model.cxmodel", "sim.model.phases.touchpoints")
    assert GRAPH.has_edge("sim.experiments.batch", "sim.experiments.spec")
    assert GRAPH.number_of_edges() > 60


def test_no_import_circles():
    assert list(nx.simple_cycles(GRAPH)) == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("sim.vocabulary", ("sim.",)),
        ("sim.errors", ("sim.",)),
        ("sim.scenario", ("sim.model", "sim.outputs", "sim.experiments", "sim.validation", *FACES)),
        ("sim.model", ("sim.outputs", "sim.experiments", "sim.validation", *FACES)),
        ("sim.outputs", ("sim.experiments", "sim.validation", *FACES)),
        ("sim.experiments", ("sim.validation", *FACES)),
        ("sim.validation", FACES),
        ("sim.report", ("sim.dashboard", "sim.cli", "sim.docs")),
        ("sim.dashboard", ("sim.report", "sim.cli", "sim.docs")),
    ],
)
def test_layers_point_down(layer, forbidden):
    """A layer imports nothing from the layers above it (the model nothing from outputs or experiments)."""
    upward = [
        (src, dst)
        for src, dst in GRAPH.edges
        if (src == layer or src.startswith(layer + "."))
        and any(dst == f or dst.startswith(f) for f in forbidden)
        and not dst.startswith(layer)
    ]
    assert upward == []


def test_phases_work_on_the_world_not_the_model():
    """Phase modules never import the Mesa model, not even for type checking, and never name it."""
    for path in sorted((SIM / "model" / "phases").glob("[!_]*.py")):
        text = path.read_text(encoding="utf-8")
        assert "cxmodel" not in text and "CXModel" not in text, path.name
        assert "model." not in text.replace("sim.model.", ""), path.name


def test_readme_layout_names_every_module():
    """The README's layout table names every module of the package, in its folder's row."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = line.split("|")
        if len(cells) > 2:
            rows[cells[1].strip()] = cells[2]
    missing = []
    for path in sorted(SIM.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        rel = path.relative_to(REPO_ROOT)
        folder_row = rows.get(f"`{rel.parent.as_posix()}/`", "")
        file_row = next((v for k, v in rows.items() if f"`{rel.as_posix()}`" in k), "")
        if f"`{path.name}`" not in folder_row and not file_row:
            missing.append(rel.as_posix())
    assert missing == []
