"""The documentation matches the code: the ODD's parameter tables are generated from the schema."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO_ROOT


def test_odd_parameter_tables_match_the_schema():
    res = subprocess.run(
        [sys.executable, "-m", "sim.docs", "--check", "docs/ODD.md"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_every_parameter_has_a_unit_and_a_source():
    from sim.scenario.parameters import Parameters

    for group_name, group in Parameters.model_fields.items():
        for name, info in group.annotation.model_fields.items():
            extra = info.json_schema_extra or {}
            assert extra.get("unit") and extra.get("source"), f"parameters.{group_name}.{name}"
            assert info.description, f"parameters.{group_name}.{name}"
