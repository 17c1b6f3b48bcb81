"""No unnamed numbers in the mechanism code: every mechanism constant is a named scenario parameter.

The phase modules, the initialization and the stores they share (the account teams, the
knowledge store, the workforce) are parsed with ``ast``; any
numeric literal other than 0, 1 and -1 (and their float forms) fails the test unless it is
listed below with the reason it is not a parameter. A new mechanism constant therefore has to
become a parameter in :mod:`sim.scenario.parameters` (with unit, bounds and source or
assumption) before the test passes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO_ROOT

MODEL = REPO_ROOT / "sim" / "model"
CHECKED = [
    *sorted((MODEL / "phases").glob("*.py")),
    MODEL / "initialization.py",
    MODEL / "account_teams.py",
    MODEL / "knowledge.py",
    MODEL / "workforce.py",
]

#: numbers that are never a mechanism constant (identities, empty counts, index shifts)
ALWAYS_ALLOWED = {0, 1, -1}

#: (module, value) -> why the literal is an implementation constant, not a parameter
IMPLEMENTATION_CONSTANTS: dict[tuple[str, float], str] = {
    ("touchpoints.py", 7.0): "unit conversion: days per week (a channel's response time is given in days)",
    ("touchpoints.py", 2): "shape of a draw: two uniform numbers per touchpoint (failure, recovery)",
    ("transitions.py", 2): "shape of a draw: two uniform numbers per deal (decided, won)",
    ("diffusion.py", 2): "shape of a draw: two uniform numbers per requirement (over-promised, lost)",
    ("word_of_mouth.py", 2): "shape of a draw: two uniform numbers per segment (arrivals, by word of mouth)",
    ("measurement.py", 10): "the 0-10 likelihood-to-recommend answer scale that defines NPS (Reichheld 2003)",
    ("measurement.py", 9): "NPS definition: promoters answer 9-10 (Reichheld 2003)",
    ("measurement.py", 6): "NPS definition: detractors answer 0-6 (Reichheld 2003)",
    ("transitions.py", 1e-9): "numerical guard of the logit of a probability, keeps log finite",
    ("initialization.py", 1.1): "preallocated account rows (growth headroom); the store grows on demand",
    ("initialization.py", 64): "preallocated account rows (minimum slack); the store grows on demand",
    ("diffusion.py", 4): "bands of the per-contact probability in which peer trials are thinned (same distribution)",
    ("workforce.py", 2): "Watts-Strogatz needs an even degree of at least 2 and a ring of more than 2 seats",
    ("workforce.py", 31): "upper bound 2**31 of the seed passed to networkx",
}


def numeric_literals(path: Path) -> list[tuple[int, float]]:
    """(line, value) of every numeric literal in a module, a leading minus sign folded in."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    negated = set()
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and _is_number(node.operand.value)
        ):
            negated.add(id(node.operand))
            found.append((node.lineno, -node.operand.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and _is_number(node.value) and id(node) not in negated:
            found.append((node.lineno, node.value))
    return sorted(found)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | complex) and not isinstance(value, bool)


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: p.relative_to(MODEL).as_posix())
def test_no_unnamed_mechanism_constants(path: Path):
    unnamed = [
        f"{path.relative_to(REPO_ROOT)}:{line}: {value!r}"
        for line, value in numeric_literals(path)
        if value not in ALWAYS_ALLOWED and (path.name, value) not in IMPLEMENTATION_CONSTANTS
    ]
    assert not unnamed, "numbers that should be named scenario parameters:\n" + "\n".join(unnamed)


def test_every_allowed_constant_is_still_used():
    """The allow-list names no literal that has gone: it stays as short as the code allows."""
    present = {(p.name, value) for p in CHECKED for _, value in numeric_literals(p)}
    stale = [key for key in IMPLEMENTATION_CONSTANTS if key not in present]
    assert not stale, stale


def test_the_check_sees_a_planted_constant(tmp_path):
    planted = tmp_path / "phase.py"
    planted.write_text("def f(x):\n    return x * 0.42 - 3 + 1\n", encoding="utf-8")
    values = [v for _, v in numeric_literals(planted) if v not in ALWAYS_ALLOWED]
    assert values == [0.42, 3]
