"""From runs to verdicts: each pattern's estimates with their 95 % intervals, and the report that shows them.

:func:`evaluate` turns the runs of a :class:`~sim.validation.experiments.Design` into one
:class:`PatternResult` per pattern (the measurements of :mod:`sim.validation.measures`, the
criteria of :mod:`sim.validation.patterns`); :func:`write_report` writes ``report.md`` (for a
reader: claim, source, measurement, the model's number beside the published band, the verdict,
a figure), ``patterns.csv`` and ``patterns.json`` (one row or record per criterion, for a
program) and ``replications.csv`` (every replication's number behind every estimate).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from sim.outputs.files import atomic_write_text, write_json
from sim.validation import measures as m
from sim.validation.experiments import (
    BASELINE,
    BASS,
    CAPACITY_GAP,
    GAP_FOLLOW_WEEKS,
    LARGE_COMPANY,
    LEADER_MIX,
    PIPELINE_WEEKS,
    SPREAD,
    STYLE_ORDER,
    Design,
)
from sim.validation.patterns import PATTERNS, Criterion, Pattern, show
from sim.validation.verdicts import CriterionResult, PatternResult
from sim.vocabulary import WEEKS_PER_YEAR

#: the teams whose customers are under contract (patterns 1 and 7)
CUSTOMER_UNITS = ("delivery", "support")
#: the files the report writes (figures apart)
REPORT_FILES = ("report.md", "patterns.csv", "patterns.json", "replications.csv")


class Runs:
    """The records of a design's runs, by experiment and replication (None for a run that failed)."""

    def __init__(self, design: Design, records: dict[str, dict[str, Any]]) -> None:
        self.design = design
        self.records = records

    def arm(self, name: str) -> Iterator[tuple[int, int, dict[str, Any] | None]]:
        """(replication, seed, record) of each run of an experiment, in replication order."""
        for k, task in enumerate(self.design.arms[name]):
            record = self.records.get(task.key)
            yield k, task.seed, record if record is not None and record.get("error") is None else None


# ----------------------------------------------------------------------------- evaluation


def evaluate(design: Design, records: dict[str, dict[str, Any]]) -> list[PatternResult]:
    """Every pattern's result from the runs' records (a pattern whose runs failed is undefined, so it fails)."""
    runs = Runs(design, records)
    return [EVALUATORS[p.key](p, runs) for p in PATTERNS]


def _criterion(pattern: Pattern, key: str) -> Criterion:
    return next(c for c in pattern.criteria if c.key == key)


def _rows(pattern: Pattern, key: str, arm: str, seeds: list[tuple[int, int]], values: list[float]) -> list[dict]:
    return [
        {"pattern": pattern.number, "criterion": key, "experiment": arm, "replication": k, "seed": s, "value": v}
        for (k, s), v in zip(seeds, values, strict=True)
    ]


#: the team-table column patterns 1 and 7 take as a team's customer satisfaction
TEAM_SATISFACTION = "survey_score"


def _customer_teams(record: dict[str, Any]) -> dict[str, np.ndarray]:
    """The teams serving customers under contract, as arrays (patterns 1 and 7)."""
    teams = record["teams"]
    keep = np.isin(np.asarray(teams["unit"]), CUSTOMER_UNITS)
    return {
        c: np.asarray(v)[keep] if c in ("unit", "leader_style") else np.asarray(v, dtype=float)[keep]
        for c, v in teams.items()
    }


def _centred(values: np.ndarray, units: np.ndarray) -> np.ndarray:
    out = values.astype(float).copy()
    for u in np.unique(units):
        out[units == u] -= np.nanmean(values[units == u])
    return out


def _teams(pattern: Pattern, runs: Runs, column: str) -> tuple[list[tuple[int, int]], list[float], list[float], dict]:
    """Per replication of the large company: r(column, survey score) across teams and the quartile gap.

    A team's customer satisfaction is the mean answer (0-10, / 10) of its accounts' survey answers
    over the measured window, with the survey's sampling and answer noise, as the field studies
    measure a unit's customer satisfaction from its customers' surveys (Harter et al. 2002).
    """
    seeds, rs, gaps, first = [], [], [], {}
    for k, seed, rec in runs.arm(LARGE_COMPANY):
        seeds.append((k, seed))
        if rec is None:
            rs.append(math.nan)
            gaps.append(math.nan)
            continue
        t = _customer_teams(rec)
        rs.append(m.within_unit_correlation(t[column], t[TEAM_SATISFACTION], t["unit"]))
        gaps.append(m.quartile_gap(t["engagement"], t[TEAM_SATISFACTION], t["unit"]))
        if not first:
            first = {
                "unit": t["unit"].tolist(),
                "x": _centred(t[column], t["unit"]).tolist(),
                "y": _centred(t[TEAM_SATISFACTION], t["unit"]).tolist(),
            }
    return seeds, rs, gaps, first


def _engagement_customers(p: Pattern, runs: Runs) -> PatternResult:
    seeds, rs, gaps, first = _teams(p, runs, "engagement")
    return PatternResult(
        p,
        [
            CriterionResult(_criterion(p, "r"), m.correlation_estimate(rs)),
            CriterionResult(_criterion(p, "quartile_gap"), m.mean_estimate(gaps)),
        ],
        _rows(p, "r", LARGE_COMPANY, seeds, rs) + _rows(p, "quartile_gap", LARGE_COMPANY, seeds, gaps),
        {"first_run": first, "r": rs, "quartile_gap": gaps},
    )


def _turnover_customers(p: Pattern, runs: Runs) -> PatternResult:
    seeds, rs, _, first = _teams(p, runs, "turnover_rate")
    return PatternResult(
        p,
        [CriterionResult(_criterion(p, "r"), m.correlation_estimate(rs))],
        _rows(p, "r", LARGE_COMPANY, seeds, rs),
        {"first_run": first, "r": rs},
    )


def _leadership(p: Pattern, runs: Runs) -> PatternResult:
    seeds, ordered, r_lf, r_t = [], [], [], []
    means: dict[str, list[float]] = {s: [] for s in STYLE_ORDER}
    for k, seed, rec in runs.arm(LEADER_MIX):
        if rec is None:
            continue
        seeds.append((k, seed))
        groups = rec["engagement_by_style"]
        mean = m.group_means(groups)
        for s in STYLE_ORDER:
            means[s].append(mean.get(s, math.nan))
        ordered.append(m.is_ordered(mean, STYLE_ORDER))
        r_lf.append(m.point_biserial(groups, "laissez_faire"))
        r_t.append(m.point_biserial(groups, "transformational"))
    return PatternResult(
        p,
        [
            CriterionResult(_criterion(p, "ordered_share"), m.share_estimate(ordered)),
            CriterionResult(_criterion(p, "r_laissez_faire"), m.correlation_estimate(r_lf)),
            CriterionResult(_criterion(p, "r_transformational"), m.correlation_estimate(r_t)),
        ],
        _rows(p, "ordered_share", LEADER_MIX, seeds, [float(o) for o in ordered])
        + _rows(p, "r_laissez_faire", LEADER_MIX, seeds, r_lf)
        + _rows(p, "r_transformational", LEADER_MIX, seeds, r_t),
        {"means": means, "r_laissez_faire": r_lf, "r_transformational": r_t},
    )


def _baseline_values(runs: Runs, get: Callable[[dict[str, Any]], float]) -> tuple[list[tuple[int, int]], list[float]]:
    seeds, values = [], []
    for k, seed, rec in runs.arm(BASELINE):
        seeds.append((k, seed))
        values.append(math.nan if rec is None else _number(get(rec)))
    return seeds, values


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _churn(p: Pattern, runs: Runs) -> PatternResult:
    seeds, grr = _baseline_values(runs, lambda r: r["gross_revenue_retention"])
    _, nrr = _baseline_values(runs, lambda r: r["summary"]["net_revenue_retention"])
    _, accounts = _baseline_values(runs, lambda r: r["summary"]["annual_churn_rate"])
    _, revenue = _baseline_values(runs, lambda r: r["summary"]["revenue_churn_rate"])
    diff = [a - b for a, b in zip(accounts, revenue, strict=True)]
    return PatternResult(
        p,
        [
            CriterionResult(_criterion(p, "gross_revenue_retention"), m.mean_estimate(grr)),
            CriterionResult(_criterion(p, "net_revenue_retention"), m.mean_estimate(nrr)),
            CriterionResult(_criterion(p, "account_minus_revenue_churn"), m.paired_estimate(accounts, revenue)),
        ],
        _rows(p, "gross_revenue_retention", BASELINE, seeds, grr)
        + _rows(p, "net_revenue_retention", BASELINE, seeds, nrr)
        + _rows(p, "account_minus_revenue_churn", BASELINE, seeds, diff),
        {
            "gross_revenue_retention": grr,
            "net_revenue_retention": nrr,
            "account_churn": m.mean_estimate(accounts).as_dict(),
            "revenue_churn": m.mean_estimate(revenue).as_dict(),
        },
    )


def _nps(p: Pattern, runs: Runs) -> PatternResult:
    seeds, nps = _baseline_values(runs, lambda r: r["summary"]["nps"])
    return PatternResult(
        p,
        [CriterionResult(_criterion(p, "nps"), m.mean_estimate(nps))],
        _rows(p, "nps", BASELINE, seeds, nps),
        {"nps": nps},
    )


def _renewal_rates(rec: dict[str, Any]) -> dict[str, float]:
    r = rec["renewals"]
    out = {}
    for band, decisions, churned in zip(r["band"], r["decisions"], r["churned"], strict=True):
        if band != "bin":
            out[band] = churned / decisions if decisions else math.nan
    return out


def _satisfaction_retention(p: Pattern, runs: Runs) -> PatternResult:
    seeds, passive, top = [], [], []
    bins: dict[float, list[float]] = {}
    for k, seed, rec in runs.arm(BASELINE):
        seeds.append((k, seed))
        if rec is None:
            passive.append(math.nan)
            top.append(math.nan)
            continue
        rates = _renewal_rates(rec)
        passive.append(rates.get("passive", math.nan))
        top.append(rates.get("promoter", math.nan))
        r = rec["renewals"]
        for band, low, decisions, churned in zip(
            r["band"], r["satisfaction_from"], r["decisions"], r["churned"], strict=True
        ):
            if band == "bin":
                cell = bins.setdefault(round(low, 6), [0.0, 0.0])
                cell[0] += decisions
                cell[1] += churned
    ratio = [a / b if b else math.nan for a, b in zip(passive, top, strict=True)]
    mp = runs.design.scenario.parameters.measurement
    return PatternResult(
        p,
        [CriterionResult(_criterion(p, "churn_ratio"), m.ratio_estimate(passive, top))],
        _rows(p, "churn_ratio", BASELINE, seeds, ratio),
        {
            "passive_churn": m.mean_estimate(passive).as_dict(),
            "top_box_churn": m.mean_estimate(top).as_dict(),
            "bins": [[low, n, c] for low, (n, c) in sorted(bins.items())],
            "thresholds": [mp.detractor_satisfaction, mp.promoter_satisfaction],
        },
    )


def _service_recovery(p: Pattern, runs: Runs) -> PatternResult:
    seeds = []
    change: dict[str, list[float]] = {c: [] for c in ("no_failure", "quick", "slow", "unresolved")}
    episodes = dict.fromkeys(change, 0)
    for k, seed, rec in runs.arm(BASELINE):
        seeds.append((k, seed))
        table = (
            dict(
                zip(
                    rec["recovery"]["recovery"],
                    zip(rec["recovery"]["episodes"], rec["recovery"]["change"], strict=True),
                    strict=True,
                )
            )
            if rec
            else {}
        )
        for c in change:
            n, value = table.get(c, (0, None))
            change[c].append(_number(value) if n else math.nan)
            episodes[c] += int(n)
    pairs = {
        "quick_minus_slow": ("quick", "slow"),
        "slow_minus_unresolved": ("slow", "unresolved"),
        "paradox": ("quick", "no_failure"),
    }
    results, rows = [], []
    for key, (a, b) in pairs.items():
        results.append(CriterionResult(_criterion(p, key), m.paired_estimate(change[a], change[b])))
        rows += _rows(p, key, BASELINE, seeds, [x - y for x, y in zip(change[a], change[b], strict=True)])
    return PatternResult(
        p, results, rows, {"change": {c: m.mean_estimate(v).as_dict() for c, v in change.items()}, "episodes": episodes}
    )


def _capacity_gap(p: Pattern, runs: Runs) -> PatternResult:
    plan = runs.design.plan
    control = dict((k, rec) for k, _, rec in runs.arm(BASELINE))
    seeds, diffs = [], []
    for k, seed, rec in runs.arm(CAPACITY_GAP):
        if rec is None or control.get(k) is None:
            continue
        seeds.append((k, seed))
        diffs.append(
            np.asarray(rec["delivery_quality"], dtype=float) - np.asarray(control[k]["delivery_quality"], dtype=float)
        )
    first = plan.gap_start + plan.gap_weeks - 1  # the index of the first week with capacity back
    if diffs:
        d = np.array(diffs)
        count, weekly = m.weeks_below(d, first)
        after = m.mean_estimate(np.nanmean(d[:, first : first + GAP_FOLLOW_WEEKS], axis=1))
    else:
        count, weekly, after = 0, [], m.UNDEFINED
    n = len(diffs)
    estimate = m.Estimate(float(count) if n >= 2 else math.nan, math.nan, math.nan, n)
    return PatternResult(
        p,
        [CriterionResult(_criterion(p, "weeks_below"), estimate)],
        [
            {
                "pattern": p.number,
                "criterion": "quality_after_gap",
                "experiment": CAPACITY_GAP,
                "replication": k,
                "seed": s,
                "value": float(np.nanmean(dd[first : first + GAP_FOLLOW_WEEKS])),
            }
            for (k, s), dd in zip(seeds, diffs, strict=True)
        ],
        {
            "weekly": [[e.value, e.low, e.high] for e in weekly],
            "gap_start": plan.gap_start,
            "gap_weeks": plan.gap_weeks,
            "follow_weeks": GAP_FOLLOW_WEEKS,
            "mean_after": after.as_dict(),
        },
    )


def _information_spread(p: Pattern, runs: Runs) -> PatternResult:
    levels, per_level, rows = [], {}, []
    for level, arm in runs.design.ties_arms():
        seeds, values = [], []
        for k, seed, rec in runs.arm(arm):
            seeds.append((k, seed))
            values.append(math.nan if rec is None else _number(rec["summary"]["mean_info_age_weeks"]))
        levels.append(level)
        per_level[level] = values
        rows += _rows(p, f"info_age_at_{level:g}", arm, seeds, values)
    steps = [m.paired_estimate(per_level[b], per_level[a]) for a, b in itertools.pairwise(levels)]
    defined = [s for s in steps if math.isfinite(s.high)]
    weakest = max(defined, key=lambda s: s.high) if len(defined) == len(steps) else m.UNDEFINED
    seeds, model, reference = [], [], []
    for k, seed, rec in runs.arm(SPREAD):
        if rec is None:
            continue
        seeds.append((k, seed))
        model.append(rec["model"])
        reference.append(rec["si"])
    if model:
        d = np.array(model) - np.array(reference)
        gap = m.max_gap_estimate(d)
        rows += _rows(p, "docking_gap", SPREAD, seeds, np.abs(d).max(axis=1).tolist())
    else:
        gap = m.UNDEFINED
    return PatternResult(
        p,
        [CriterionResult(_criterion(p, "info_age_step"), weakest), CriterionResult(_criterion(p, "docking_gap"), gap)],
        rows,
        {
            "levels": levels,
            "info_age": [m.mean_estimate(per_level[level]).as_dict() for level in levels],
            "steps": [s.as_dict() for s in steps],
            "model_curve": np.mean(model, axis=0).tolist() if model else [],
            "si_curve": np.mean(reference, axis=0).tolist() if reference else [],
        },
    )


def _bass(p: Pattern, runs: Runs) -> PatternResult:
    mk = runs.design.scenario.parameters.market
    seeds, curves = [], []
    for k, seed, rec in runs.arm(BASS):
        if rec is not None:
            seeds.append((k, seed))
            curves.append(rec["adoption"])
    if not curves:
        return PatternResult(p, [CriterionResult(c, m.UNDEFINED) for c in p.criteria])
    share = np.array(curves)
    t = np.arange(1, share.shape[1] + 1) / WEEKS_PER_YEAR
    f = m.bass_f(t, mk.innovation, mk.imitation)
    delayed = m.bass_f(np.maximum(t - PIPELINE_WEEKS / WEEKS_PER_YEAR, 0.0), mk.innovation, mk.imitation)
    fits = [m.fit_bass(t, c, PIPELINE_WEEKS / WEEKS_PER_YEAR) for c in share]
    ratios = [(q / pp) / (mk.imitation / mk.innovation) for pp, q in fits]
    return PatternResult(
        p,
        [
            CriterionResult(_criterion(p, "gap"), m.max_gap_estimate(share - f)),
            CriterionResult(_criterion(p, "q_over_p"), m.mean_estimate(ratios)),
        ],
        _rows(p, "gap", BASS, seeds, np.abs(share - f).max(axis=1).tolist())
        + _rows(p, "q_over_p", BASS, seeds, ratios),
        {
            "mean_curve": share.mean(axis=0).tolist(),
            "bass_f": f.tolist(),
            "p": mk.innovation,
            "q": mk.imitation,
            "fits": [[pp, q] for pp, q in fits],
            "gap_delayed": m.max_gap_estimate(share - delayed).as_dict(),
        },
    )


EVALUATORS: dict[str, Callable[[Pattern, Runs], PatternResult]] = {
    "engagement_customers": _engagement_customers,
    "leadership_engagement": _leadership,
    "churn": _churn,
    "nps": _nps,
    "satisfaction_retention": _satisfaction_retention,
    "service_recovery": _service_recovery,
    "turnover_customers": _turnover_customers,
    "capacity_gap": _capacity_gap,
    "information_spread": _information_spread,
    "bass": _bass,
}


# ----------------------------------------------------------------------------- writing


def figure_name(pattern: Pattern) -> str:
    """The file of a pattern's figure."""
    return f"pattern_{pattern.number:02d}_{pattern.key}.png"


def write_report(out: Path, design: Design, results: list[PatternResult], meta: dict[str, Any]) -> list[str]:
    """Write the report, the tables and the figures into ``out``; return the names written."""
    from sim.outputs.figures import save_figure
    from sim.validation.figures import pattern_figure

    names = []
    for result in results:
        save_figure(pattern_figure(result, design), out / figure_name(result.pattern))
        names.append(figure_name(result.pattern))
    atomic_write_text(out / "report.md", to_markdown(design, results, meta))
    atomic_write_text(out / "patterns.csv", _csv(criteria_rows(results)))
    atomic_write_text(out / "replications.csv", _csv([r for res in results for r in res.replications]))
    write_json(out / "patterns.json", finite(to_json(design, results, meta)))
    return [*REPORT_FILES, *names]


def criteria_rows(results: list[PatternResult]) -> list[dict[str, Any]]:
    """One row per criterion: the pattern, the criterion, the estimate and interval, the band, the verdicts."""
    rows = []
    for res in results:
        for c in res.criteria:
            e = c.estimate
            rows.append(
                {
                    "pattern": res.pattern.number,
                    "pattern_key": res.pattern.key,
                    "criterion": c.criterion.key,
                    "label": c.criterion.label,
                    "kind": c.criterion.kind,
                    "estimate": e.value,
                    "ci_low": e.low,
                    "ci_high": e.high,
                    "n": e.n,
                    "band_low": c.criterion.low,
                    "band_high": c.criterion.high,
                    "unit": c.criterion.unit,
                    "passed": c.passed,
                    "reason": c.reason,
                    "pattern_passed": res.passed,
                }
            )
    return rows


def to_json(design: Design, results: list[PatternResult], meta: dict[str, Any]) -> dict[str, Any]:
    """Everything the report says, as data: the run, every pattern with its criteria and its figure's numbers."""
    return {
        **meta,
        "passed": all(r.passed for r in results),
        "patterns_passed": sum(r.passed for r in results),
        "patterns": [
            {
                "number": r.pattern.number,
                "key": r.pattern.key,
                "title": r.pattern.title,
                "claim": r.pattern.claim,
                "source": r.pattern.source,
                "measure": r.pattern.measure_text(design.settings()),
                "passed": r.passed,
                "figure": figure_name(r.pattern),
                "criteria": [row for row in criteria_rows([r])],
                "details": r.details,
            }
            for r in results
        ],
    }


def finite(value: Any) -> Any:
    """The data with undefined and infinite numbers as JSON null (valid JSON), numpy numbers as Python's."""
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})
    return buf.getvalue()


def _interval(c: CriterionResult) -> str:
    e = c.estimate
    if not (math.isfinite(e.low) and math.isfinite(e.high)):
        return "—"
    return f"[{c.criterion.show(e.low)}, {c.criterion.show(e.high)}]"


def _verdict(passed: bool) -> str:
    return "**PASS**" if passed else "**FAIL**"


def to_markdown(design: Design, results: list[PatternResult], meta: dict[str, Any]) -> str:
    """The report a reader opens: the verdict, a table of every criterion, then each pattern in full."""
    plan = design.plan
    settings = design.settings()
    passed = sum(r.passed for r in results)
    lines = [
        f"# Validation of `{design.scenario.name}` against ten published patterns",
        "",
        f"**{passed} of {len(results)} patterns pass.** `cxsim validate` exits with 0 only when all pass.",
        "",
        f"- Scenario: `{meta['scenario_source']}`; root seed {plan.seed}; {plan.reps} replications of each "
        f"replicated experiment; the large company has {settings['company_employees']:,} employees; "
        f"{plan.spread_graphs} × {plan.spread_cascades} cascades of the spreading; {plan.bass_runs} Bass markets.",
        f"- cxsim {meta['environment']['cxsim']}, git commit {meta.get('git_commit') or 'unknown'}, "
        f"started {meta['started_utc']}.",
        "- Pattern-oriented modelling (Grimm et al. 2005): the bands were fixed before calibration. A band "
        "criterion passes when the model's estimate lies inside the band **and** its 95 % confidence interval "
        "is no wider than the band; a direction (CI above / below) passes when the whole 95 % interval lies on "
        "that side. A pattern passes when all its criteria pass. Intervals reflect replication noise "
        "(see each pattern's measurement).",
        "",
        "| # | pattern | criterion | model | 95 % CI | published band | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for i, c in enumerate(r.criteria):
            head = (str(r.pattern.number), r.pattern.title) if i == 0 else ("", "")
            lines.append(
                f"| {head[0]} | {head[1]} | {c.criterion.label} | {c.criterion.show(c.estimate.value)} | "
                f"{_interval(c)} | {c.criterion.band_text()} | {'PASS' if c.passed else 'FAIL'} |"
            )
    for r in results:
        lines += ["", f"## {r.pattern.number}. {r.pattern.title} — {_verdict(r.passed)}", ""]
        lines += [f"**Claim.** {r.pattern.claim}", "", f"**Source.** {r.pattern.source}.", ""]
        lines += [f"**How the model measures it.** {r.pattern.measure_text(settings)}", ""]
        lines += ["| criterion | model | 95 % CI | n | published band | verdict |", "|---|---|---|---|---|---|"]
        for c in r.criteria:
            verdict = "PASS" if c.passed else f"FAIL: {c.reason}"
            lines.append(
                f"| {c.criterion.label} | {c.criterion.show(c.estimate.value)} | {_interval(c)} | "
                f"{c.estimate.n} | {c.criterion.band_text()} | {verdict} |"
            )
        extra = _detail_lines(r, settings)
        if extra:
            lines += ["", *extra]
        lines += ["", f"![pattern {r.pattern.number}]({figure_name(r.pattern)})"]
    failures = meta.get("failures") or []
    if failures:
        lines += ["", "## Runs that failed", ""]
        lines += [f"- `{f['key']}` ({f['kind']}): {f['error']}" for f in failures]
    return "\n".join(lines) + "\n"


def _detail_lines(r: PatternResult, settings: dict[str, Any]) -> list[str]:
    """Numbers beside the criteria that help a reader see where a pattern stands."""
    d = r.details
    key = r.pattern.key
    if key == "churn":
        return [
            f"Annual account churn {show(d['account_churn']['value'], '%')}, revenue churn "
            f"{show(d['revenue_churn']['value'], '%')} (means over replications)."
        ]
    if key == "satisfaction_retention":
        return [
            f"Churn at renewal: satisfied but not top box {show(d['passive_churn']['value'], '%')}, top box "
            f"{show(d['top_box_churn']['value'], '%')} (means over replications)."
        ]
    if key == "service_recovery":
        parts = [
            f"{c.replace('_', ' ')} {show(v['value'], '', 4)} ({d['episodes'][c]:,} episodes)"
            for c, v in d["change"].items()
        ]
        weeks = settings["followup_weeks"]
        return [f"Mean change in satisfaction over the {weeks} weeks: " + "; ".join(parts) + "."]
    if key == "capacity_gap":
        after = d["mean_after"]
        return [
            f"Delivery quality, cut − control, mean over the {d['follow_weeks']} weeks after capacity returns: "
            f"{show(after['value'], '', 4)} [{show(after['low'], '', 4)}, {show(after['high'], '', 4)}] (0-1 scale)."
        ]
    if key == "information_spread":
        ages = ", ".join(f"{lv:g}: {show(e['value'], '', 3)}" for lv, e in zip(d["levels"], d["info_age"], strict=True))
        return [f"Mean information age at touchpoints by share of cross-unit ties: {ages}."]
    if key == "bass":
        e = d["gap_delayed"]
        return [
            f"Largest gap against F(t − {PIPELINE_WEEKS} weeks), allowing for the pipeline from arrival to customer: "
            f"{show(e['value'], '%')} [{show(e['low'], '%')}, {show(e['high'], '%')}]."
        ]
    if key == "leadership_engagement":
        means = ", ".join(f"{s.replace('_', '-')} {np.nanmean(v):.3f}" for s, v in d["means"].items() if v)
        return [f"Mean engagement by style (over replications): {means}."]
    return []
