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


def test_the_sensitivity_page_links_its_figures_and_the_odd_lists_the_screened_assumptions():
    import re

    from sim.experiments.spec import load_experiment
    from sim.scenario.parameters import is_assumption
    from sim.scenario.ranges import field_info

    page = (REPO_ROOT / "docs" / "sensitivity.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", page)
    assert len(links) >= 8 and all((REPO_ROOT / "docs" / link).is_file() for link in links)
    odd = (REPO_ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    listed = odd.split("<!-- sensitivity-assumptions:start -->")[1].split("<!-- sensitivity-assumptions:end -->")[0]
    spec = load_experiment(REPO_ROOT / "experiments" / "sensitivity_morris.yaml").spec
    screened = {k for k in spec.sample.parameters if is_assumption(field_info(k)[0])}
    assert set(re.findall(r"\| `([a-z_.]+)` \|", listed)) == screened
