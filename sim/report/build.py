"""``cxsim report DIR``: the page a strategist forwards — what was run, the answer, the evidence.

Every report opens with the headline in plain words and its uncertainty, then says what was run
(scenarios, seeds, replications, versions, commit), then the tables and the figures the command
drew, then the detractors' WHY table. Results that did not keep a WHY table (a batch keeps
outcomes, not reasons) get it by running the first replication again from the scenario and
seed the folder records: the same inputs give the same run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import MISSING, InputError
from sim.experiments.compare import diff_text, fmt
from sim.experiments.headline import HEADLINE_METRICS, headline
from sim.experiments.stats import mean_interval
from sim.outputs.files import atomic_write_text
from sim.outputs.folders import add_owned, check_output_path, owned_files, read_marker, write_error
from sim.outputs.summary import OUTCOMES
from sim.report import html as h
from sim.report.common import figures, provenance, rerun_why, why_section
from sim.report.kinds import read_json, result_kind
from sim.report.studies import calibration_report, sensitivity_report, validation_report

#: the report's file in the result folder unless ``--out`` names another
REPORT = "report.html"
#: how to read an interval, said once under a comparison's headline
READING = (
    "How to read this: each difference is the mean over replications that share their random numbers, with its "
    "95 % confidence interval (CI). When the CI lies on one side of zero the policy's effect is unlikely to be "
    "noise; when it spans zero these runs cannot tell the policy from no change (more replications narrow it)."
)
TITLES = {
    "run": "A single run",
    "batch": "A batch of runs",
    "comparison": "A paired comparison of policies",
    "sensitivity": "A sensitivity study",
    "validation": "A validation against published patterns",
    "calibration": "A calibration",
}


def write_report(folder: Path, out: Path | None = None) -> tuple[Path, str]:
    """Write the report of ``folder`` (atomically) and return its path and headline."""
    folder = Path(folder)
    kind = result_kind(folder)
    target = Path(out) if out is not None else folder / REPORT
    _check_target(folder, target, out is None)
    title, answer, body = BUILDERS[kind](folder)
    document = h.page(title, f"{TITLES[kind]} · {shown_path(folder)}", [h.headline(answer), *body])
    try:
        atomic_write_text(target, document)
        marker = read_marker(folder)
        if out is None and marker is not None:
            add_owned(folder, marker["kind"], [REPORT])
    except OSError as exc:
        raise write_error(target.parent, exc) from None
    return target, answer


def shown_path(folder: Path) -> str:
    """The folder as the page names it: relative to the working folder when inside it, else absolute."""
    full = folder.resolve()
    try:
        return full.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(full)


def _check_target(folder: Path, target: Path, default: bool) -> None:
    """The report may replace a report cxsim wrote, never a file of someone else's."""
    source = "--out" if not default else str(folder)
    check_output_path(target.parent, source)
    if target.is_dir():
        raise InputError(source, None, str(target), "is a folder; name the HTML file to write")
    if default and os.path.lexists(target):
        marker = read_marker(folder)
        if marker is None or REPORT not in owned_files(folder, marker["kind"]):
            raise InputError(
                str(target),
                None,
                MISSING,
                "exists and cxsim did not write it; give --out to write the report elsewhere",
            )


# ----------------------------------------------------------------------------- what was run


# ----------------------------------------------------------------------------- a run


def run_report(folder: Path) -> tuple[str, str, list[str]]:
    manifest = read_json(folder / "manifest.json")
    summary = read_json(folder / "summary.json")
    name = manifest.get("scenario_name", "?")
    warmup, steps = manifest.get("warmup"), manifest.get("steps")
    answer = (
        f"In {name} (seed {manifest.get('seed')}), over weeks {(warmup or 0) + 1} to {steps}: annual churn "
        f"{fmt(summary.get('annual_churn_rate'), 'annual_churn_rate')}, NPS {_signed(summary.get('nps'))}, "
        f"profit €{_millions(summary.get('profit_per_year'))} a year. One run has no confidence interval: "
        "compare policies with `cxsim compare`, which replicates them on common seeds."
    )
    rows = [
        (OUTCOMES[k], fmt(summary.get(k), k))
        for k in (*HEADLINE_METRICS, "net_revenue_retention", "mean_satisfaction", "mean_engagement")
        if k in summary
    ]
    body = [
        h.heading("What was run"),
        h.facts(
            [
                ("scenario", f"{name} ({manifest.get('scenario_file') or 'built in'})"),
                ("seed", manifest.get("seed")),
                ("weeks", f"{steps} (the first {warmup} are warm-up, left out of every outcome)"),
                ("run id", manifest.get("run_id")),
                *provenance(manifest),
            ]
        ),
        h.heading("Outcomes"),
        h.table(["outcome", "value"], rows, numeric=(1,)),
        h.heading("Figures"),
        *figures(folder),
        *why_section(summary.get("detractor_why") or [], "From the survey's WHY question over the measured window."),
    ]
    return f"Run of {name}", answer, body


def _signed(x: Any) -> str:
    try:
        return f"{float(x):+.1f}"
    except (TypeError, ValueError):
        return "n/a"


def _millions(x: Any) -> str:
    try:
        return f"{float(x) / 1e6:,.2f} M"
    except (TypeError, ValueError):
        return "n/a"


# ----------------------------------------------------------------------------- batches and comparisons


def _runs(folder: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(folder / "runs.parquet")
    except Exception:  # pyarrow reports a damaged file in several ways
        raise InputError(str(folder / "runs.parquet"), None, MISSING, "damaged; run the command again") from None


def batch_facts(manifest: dict[str, Any]) -> list[tuple[str, object]]:
    spec = manifest.get("experiment") or {}
    counts = manifest.get("counts") or {}
    rows: list[tuple[str, object]] = [
        ("experiment", spec.get("name")),
        ("base scenario", spec.get("scenario")),
        ("replications", f"{counts.get('replications', spec.get('replications'))} per design point"),
        ("root seed", f"{spec.get('seed')} (replication k of every case runs with the same seed)"),
        ("runs", f"{counts.get('runs')} ({counts.get('failed', 0)} failed)"),
    ]
    if spec.get("steps"):
        rows.append(("weeks", spec["steps"]))
    return rows + provenance(manifest)


def first_replication_why(folder: Path, manifest: dict[str, Any], cases: list[str]) -> tuple[list[str], str]:
    """WHY tables of replication 0 of ``cases``, run again from the manifest's scenarios and the runs' seeds."""
    runs = _runs(folder)
    points = {p.get("case"): p.get("scenario") for p in manifest.get("design_points") or []}
    sections: list[str] = []
    for case in cases:
        seed = runs.loc[(runs["case"] == case) & (runs["replication"] == 0), "seed"]
        if case not in points or not len(seed):
            continue
        rows = rerun_why(points[case], int(seed.iloc[0]))
        sections += why_section(rows, f"{case}: replication 1 run again from its recorded scenario and seed.")
    return sections, ""


def comparison_report(folder: Path) -> tuple[str, str, list[str]]:
    manifest = read_json(folder / "manifest.json")
    result = read_json(folder / "compare.json")
    scenarios = result["scenarios"]
    base = scenarios[0]
    answers = [headline(result, s, f"{s} instead of {base}") for s in scenarios[1:]]
    head = ["outcome", *scenarios, *(f"{s} − {base} (± 95 % CI)" for s in scenarios[1:])]
    order = {m: i for i, m in enumerate(dict.fromkeys([*HEADLINE_METRICS, *OUTCOMES]))}
    rows = [
        [
            metric.replace("_", " "),
            *(fmt(per[s]["mean"], metric) for s in scenarios),
            *(diff_text(result["differences"][s][metric], metric) for s in scenarios[1:]),
        ]
        for metric, per in sorted(result["metrics"].items(), key=lambda item: order.get(item[0], len(order)))
    ]
    money = []
    for s in scenarios[1:]:
        roi = result.get("roi", {}).get(s)
        week = result.get("payback_week", {}).get(s)
        money.append(
            (
                s,
                f"{roi:+.2f}" if roi is not None else "n/a (costs do not differ)",
                f"week {week}" if week is not None else "no payback within the horizon",
            )
        )
    spec = manifest.get("experiment") or {}
    body = [
        *(h.paragraph(a) for a in answers[1:]),
        h.paragraph(READING, "note"),
        h.heading("What was run"),
        h.facts(
            [
                ("reference", base),
                ("compared", ", ".join(scenarios[1:])),
                ("paired replications", f"{result['replications']} (stopped by: {result.get('stopped_by')})"),
                ("root seed", f"{result.get('seed')}: replication k of every scenario runs with the same seed"),
                ("weeks", spec.get("steps") or "each scenario's own"),
                *provenance(manifest),
            ]
        ),
        h.heading("Every outcome"),
        h.paragraph(
            "Means over the paired replications; differences are the mean of the paired differences ± the "
            "half-width of their 95 % confidence interval (paired t). * marks an interval that excludes zero; "
            "pp = percentage points.",
            "note",
        ),
        h.table(head, rows, numeric=tuple(range(1, len(head)))),
        h.heading("What it costs and returns"),
        h.table(["policy", "return on the extra cost (Δprofit / Δcosts)", "payback"], money, numeric=(1,)),
        h.heading("Figures"),
        *figures(folder, ["compare_forest.png", "compare_timeseries.png"]),
        *first_replication_why(folder, manifest, scenarios)[0],
    ]
    return f"{', '.join(scenarios[1:])} against {base}", answers[0], body


def batch_report(folder: Path) -> tuple[str, str, list[str]]:
    manifest = read_json(folder / "manifest.json")
    runs = _runs(folder)
    ok = runs[runs["error"].isna()] if "error" in runs else runs
    metrics = [m for m in HEADLINE_METRICS if m in ok.columns]
    factors = [f for f in ((manifest.get("experiment") or {}).get("grid") or {}) if f in ok.columns]
    rows, means = [], {}
    for key, group in ok.groupby(["case", *factors], sort=False):
        values = key if isinstance(key, tuple) else (key,)
        case = " · ".join(
            [str(values[0]), *(f"{f.split('.')[-1]}={v}" for f, v in zip(factors, values[1:], strict=True))]
        )
        cells = [case, str(len(group))]
        for m in metrics:
            ci = mean_interval(group[m].to_numpy(dtype=float))
            means.setdefault(m, {})[case] = ci.mean
            cells.append(_interval_text(ci.mean, ci.low, ci.high, m))
        rows.append(cells)
    answer = _batch_answer(means, len(rows))
    cases = list(dict.fromkeys(ok["case"]))[:1]
    body = [
        h.heading("What was run"),
        h.facts(batch_facts(manifest)),
        h.heading("Design points"),
        h.paragraph("Mean over the replications [95 % confidence interval].", "note"),
        h.table(["case", "runs", *(m.replace("_", " ") for m in metrics)], rows, numeric=(1, 2, 3, 4)),
        h.heading("Figures"),
        *figures(folder),
        *first_replication_why(folder, manifest, cases)[0],
    ]
    return f"Batch {(manifest.get('experiment') or {}).get('name', folder.name)}", answer, body


def _interval_text(mean: float, low: float, high: float, metric: str) -> str:
    if not np.isfinite(mean):
        return "n/a"
    if not (np.isfinite(low) and np.isfinite(high)):
        return fmt(mean, metric)
    return f"{fmt(mean, metric)} [{fmt(low, metric)}, {fmt(high, metric)}]"


def _batch_answer(means: dict[str, dict[str, float]], points: int) -> str:
    churn = {k: v for k, v in means.get("annual_churn_rate", {}).items() if np.isfinite(v)}
    profit = {k: v for k, v in means.get("profit_per_year", {}).items() if np.isfinite(v)}
    parts = [f"{points} design points"]
    if churn:
        low = min(churn, key=churn.get)  # type: ignore[arg-type]
        parts.append(f"lowest annual churn in {low} ({fmt(churn[low], 'annual_churn_rate')})")
    if profit:
        best = max(profit, key=profit.get)  # type: ignore[arg-type]
        parts.append(f"highest profit in {best} (€{profit[best] / 1e6:,.2f} M a year)")
    return (
        "; ".join(parts) + ". Each design point's interval is in the table; compare two of them on common seeds "
        "with `cxsim compare` for the interval of their difference."
    )


BUILDERS: dict[str, Callable[[Path], tuple[str, str, list[str]]]] = {
    "run": run_report,
    "batch": batch_report,
    "comparison": comparison_report,
    "sensitivity": sensitivity_report,
    "validation": validation_report,
    "calibration": calibration_report,
}
