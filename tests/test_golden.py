"""Golden outputs: the shipped scenarios give exactly the recorded numbers at seeds 1, 2 and 3.

The hashes in ``golden/shipped_scenarios.json`` are of the table contents (column names and
float64 values of the time series; the summary as sorted JSON), not of Parquet bytes. Change
them only on purpose (``python tests/golden/record.py``), saying why in the commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from record import GOLDEN, SEEDS, fingerprint

EXPECTED = json.loads(GOLDEN.read_text())
CASES = sorted(EXPECTED)


def test_every_shipped_scenario_is_pinned() -> None:
    from record import shipped_scenarios

    names = {f"{path.stem}/{seed}" for path in shipped_scenarios() for seed in SEEDS}
    assert names == set(EXPECTED)


@pytest.mark.parametrize("case", CASES)
def test_golden_output(case: str) -> None:
    name, seed = case.split("/")
    got = fingerprint(name, int(seed))
    want = EXPECTED[case]
    assert (got["nps"], got["annual_churn_rate"]) == (want["nps"], want["annual_churn_rate"])
    assert got == want
