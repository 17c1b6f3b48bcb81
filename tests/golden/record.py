"""Record (or compute) the golden fingerprints of the shipped scenarios: ``python tests/golden/record.py``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("shipped_scenarios.json")
SEEDS = (1, 2, 3)


def shipped_scenarios() -> list[Path]:
    return sorted((ROOT / "scenarios").glob("*.yaml"))


def frame_digest(df: pd.DataFrame) -> str:
    """SHA-256 of the column names and each column's values as float64 (one NaN bit pattern)."""
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in df.columns]).encode())
    for c in df.columns:
        a = np.ascontiguousarray(df[c].to_numpy(dtype=np.float64))
        h.update(np.where(np.isnan(a), np.nan, a).tobytes())
    return h.hexdigest()


def fingerprint(name: str, seed: int) -> dict[str, Any]:
    """Run a shipped scenario at ``seed``: hashes of its time series and summary, and two headline numbers."""
    from sim.model import CXModel
    from sim.outputs.summary import summarise
    from sim.scenario.loading import load_scenario

    model = CXModel(load_scenario(ROOT / "scenarios" / f"{name}.yaml"), rng=seed, collect=False).run()
    summary = summarise(model)
    frame = model.timeseries()
    return {
        "annual_churn_rate": summary["annual_churn_rate"],
        "nps": summary["nps"],
        "rows": len(frame),
        "summary": hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest(),
        "timeseries": frame_digest(frame),
    }


if __name__ == "__main__":
    table = {f"{p.stem}/{s}": fingerprint(p.stem, s) for p in shipped_scenarios() for s in SEEDS}
    GOLDEN.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN} ({len(table)} runs)")
