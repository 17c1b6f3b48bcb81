"""What every report shares: provenance, embedded figures, the detractors' WHY table, the result's text files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.errors import MISSING, InputError
from sim.report import html as h

#: how many of the detractors' reasons a WHY table lists
WHY_ROWS = 10


def provenance(manifest: dict[str, Any]) -> list[tuple[str, object]]:
    """Versions, commit and start time, as the manifest records them."""
    env = manifest.get("environment") or {}
    rows: list[tuple[str, object]] = []
    if env:
        rows.append(("versions", ", ".join(f"{k} {v}" for k, v in env.items() if k != "platform")))
        if "platform" in env:
            rows.append(("platform", env["platform"]))
    rows.append(("git commit", manifest.get("git_commit") or "not recorded (not run from a cxsim checkout)"))
    if manifest.get("started_utc"):
        rows.append(("started (UTC)", manifest["started_utc"]))
    return rows


def figures(folder: Path, names: list[str] | None = None) -> list[str]:
    """The folder's PNG figures (``names`` in that order, else all), embedded."""
    paths = [folder / n for n in names] if names is not None else sorted(folder.glob("*.png"))
    return [h.figure(p, p.stem.replace("_", " ")) for p in paths if p.is_file()]


def why_section(rows: list[dict[str, Any]], note: str) -> list[str]:
    """The detractors' WHY table: where (stage, channel) and why they would not recommend."""
    out = [h.heading("Why detractors would not recommend the company"), h.paragraph(note, "note")]
    if not rows:
        return [*out, h.paragraph("No detractor answered WHY in the measured window.")]
    table = [
        (
            str(r["stage"]).replace("_", " "),
            str(r["channel"]).replace("_", " "),
            str(r["cause"]).replace("_", " "),
            f"{int(r['count']):,}",
            f"{float(r['share']):.0%}",
        )
        for r in rows[:WHY_ROWS]
    ]
    return [*out, h.table(["stage", "channel", "cause", "answers", "share"], table, numeric=(3, 4))]


def rerun_why(scenario: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """The WHY table of one run again from its recorded scenario and seed."""
    from sim.model import CXModel
    from sim.scenario.schema import Scenario

    config = Scenario.model_validate(scenario).model_copy(update={"seed": int(seed)})
    return CXModel(config, rng=int(seed), collect=False).run().why_table().to_dict(orient="records")


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise InputError(str(path), None, MISSING, "missing or unreadable; run the command again") from None
