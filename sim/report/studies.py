"""Reports of the studies: a sensitivity study, a validation and a calibration, each answered in words.

Each of these commands writes its own Markdown for an analyst; the report states the answer a
strategist asks for first and in their words — which levers move which outcome and whether that
stands out from the replication noise; how many published patterns the model reproduces and by
how much the others miss their bands; what the fitted values are and whether the targets were
reached — then what was run, the tables, the figures and the detractors' WHY table.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import MISSING, InputError
from sim.experiments.compare import fmt
from sim.experiments.headline import SPOKEN, money
from sim.outputs.figures import quantity
from sim.report import html as h
from sim.report.common import figures, provenance, read_text, rerun_why, why_section
from sim.report.kinds import read_json

#: money outcomes: their effects are said in euros
MONEY = frozenset(
    (
        "revenue_per_year",
        "costs_per_year",
        "running_costs_per_year",
        "one_off_costs_per_year",
        "profit_per_year",
        "discounted_profit",
        "customer_lifetime_value",
        "recurring_revenue_final",
    )
)
#: path segments a parameter's spoken name leaves out
_SILENT = ("parameters", "organization", "policies", "units", "executive")
#: how an index is called in a table heading
INDEX_NAMES = {
    "mu_star": "effect across the range (μ*)",
    "sigma": "spread of the effect (σ)",
    "ST": "total share of the variance (ST)",
    "S1": "share on its own (S1)",
}


# ----------------------------------------------------------------------------- words and numbers


def spoken_parameter(key: str) -> str:
    """A parameter as a strategist names it: ``organization.executive.cx_commitment`` is ``CX commitment``."""
    parts = [p for p in key.split(".") if p not in _SILENT] or key.split(".")[-1:]
    words = " ".join(parts).replace("_", " ")
    return re.sub(r"\bcx\b", "CX", words)


def spoken_outcome(outcome: str) -> str:
    """An outcome as a sentence names it."""
    return SPOKEN.get(outcome) or quantity(outcome).label


def number(x: float) -> str:
    """A number with about three significant digits, never in e-notation."""
    size = abs(x)
    if size >= 100:
        text = f"{x:,.0f}"
    elif size >= 1:
        text = f"{x:.1f}" if size >= 10 else f"{x:.2f}"
    else:
        text = "0" if size == 0 else f"{x:.3f}" if size >= 0.01 else f"{x:.2g}"
    return text.replace("-", "−")


def amount(value: float, outcome: str) -> str:
    """A change or a spread of ``outcome`` in its unit: pp for shares, euros for money, NPS points."""
    if not math.isfinite(value):
        return "n/a"
    if outcome in MONEY:
        return money(value, sign=False)
    q = quantity(outcome)
    unit = q.diff_unit
    shown = number(value * q.scale)
    if unit.endswith("scale"):
        return f"{shown} on the {unit}"
    return f"{shown} {unit}".strip()


def _upper(text: str) -> str:
    """The first letter capitalised, the rest as it is (NPS stays NPS)."""
    return text[:1].upper() + text[1:]


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


# ----------------------------------------------------------------------------- a sensitivity study


def _indices(folder: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(folder / "indices.csv")
    except (OSError, ValueError):
        raise InputError(str(folder / "indices.csv"), None, MISSING, "missing or damaged; run again") from None


def _above(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def _index_text(row: Any, outcome: str, method: str, interval: bool = True) -> str:
    """An index in the outcome's unit (Morris) or as a share of the variance, with its interval."""

    def show(x: float) -> str:
        return amount(x, outcome) if method == "morris" else number(x)

    def bare(x: float) -> str:  # an interval's ends: euros keep their sign, other units are said once
        if method == "morris" and outcome not in MONEY:
            return number(x * quantity(outcome).scale)
        return show(x)

    text = show(float(row.value))
    if interval and _finite(row.conf):
        low, high = max(0.0, float(row.value) - float(row.conf)), float(row.value) + float(row.conf)
        text += f", 95 % CI {bare(low)} to {bare(high)}"
    return text


def _driver_phrase(row: Any, outcome: str, method: str) -> str:
    name = spoken_parameter(row.parameter)
    noise = f"; noise alone gives {_noise_text(row, outcome, method)}" if _finite(row.noise) else ""
    verdict = "" if _above(row.above_noise) else ", not distinguishable from noise"
    return f"{name} ({_index_text(row, outcome, method)}{noise}{verdict})"


def _noise_text(row: Any, outcome: str, method: str) -> str:
    return amount(float(row.noise), outcome) if method == "morris" else number(float(row.noise))


def _ranking(indices: pd.DataFrame, outcome: str, index: str) -> pd.DataFrame:
    sub = indices[(indices["outcome"] == outcome) & (indices["index"] == index)]
    return sub.sort_values("value", ascending=False, kind="stable", key=lambda v: v.abs())


def sensitivity_answer(result: dict[str, Any], indices: pd.DataFrame) -> str:
    """Which parameters move which outcome, with their intervals and what replication noise alone gives.

    One line, then a line ``- ...`` per outcome (the report shows them as a list).
    """
    method = result.get("method", "morris")
    main = result.get("main_index", "ST")
    outcomes = result.get("outcome_order") or list(result.get("outcomes", {}))
    sentences = []
    for outcome in outcomes:
        noise = (result.get("outcomes") or {}).get(outcome) or {}
        top = _ranking(indices, outcome, main).head(2)
        if not len(top):
            if noise.get("left_out"):
                sentences.append(f"{_upper(spoken_outcome(outcome))} was left out: {noise['left_out']}")
            continue
        rows = list(top.itertuples())
        text = f"{_upper(spoken_outcome(outcome))} moves most with {_driver_phrase(rows[0], outcome, method)}"
        if len(rows) > 1:
            text += f", then {_driver_phrase(rows[1], outcome, method)}"
        ranked = _ranking(indices, outcome, main)
        if not any(_above(v) for v in ranked["above_noise"]):
            text += "; no parameter stands out from the replication noise"
        share = noise.get("noise_share_of_variance")
        if _finite(share):
            text += f"; replication noise makes up {100 * share:.0f} % of its spread across design rows"
        sentences.append(text)
    if not sentences:
        return "No outcome could be analysed: every run failed or every outcome was undefined."
    counts = result.get("counts") or {}
    what = (
        f"{_upper(str(method))} study of {len((result.get('sample') or {}).get('parameters') or {})} parameters over "
        f"their plausible ranges ({counts.get('design_rows')} design rows × {result.get('replications')} "
        "replications): "
    )
    scale = (
        "how far each outcome moves, on average, when a parameter goes across its plausible range."
        if method == "morris"
        else "the share of each outcome's variance a parameter accounts for."
    )
    return what + scale + "\n" + "\n".join(f"- {s}." for s in sentences)


def _outcome_section(indices: pd.DataFrame, result: dict[str, Any], outcome: str) -> list[str]:
    method = result.get("method", "morris")
    main = result.get("main_index", "ST")
    noise = (result.get("outcomes") or {}).get(outcome) or {}
    out = [h.heading(_upper(spoken_outcome(outcome)), 3)]
    if noise.get("left_out"):
        return [*out, h.paragraph(f"Left out: {noise['left_out']}.")]
    if _finite(noise.get("replication_se")):
        out.append(
            h.paragraph(
                f"Mean {_level(noise.get('mean'), outcome)}; across design rows it varies with a standard deviation of "
                f"{amount(noise['sd_of_row_means'], outcome)}; replication noise alone: standard error of a row's "
                f"mean {amount(noise['replication_se'], outcome)} "
                f"({100 * noise['noise_share_of_variance']:.0f} % of the variance across rows)."
            )
        )
    elif _finite(noise.get("mean")):
        out.append(h.paragraph(f"Mean {_level(noise['mean'], outcome)}; one replication: the noise is not estimated."))
    table = indices[indices["outcome"] == outcome]
    others = [i for i in ("sigma", "S1") if i != main and (table["index"] == i).any()]
    head = ["parameter", INDEX_NAMES.get(main, main), "noise alone", "stands out", *(INDEX_NAMES[o] for o in others)]
    if method == "morris":
        head.append("direction (μ)")
    rows = []
    for row in _ranking(indices, outcome, main).itertuples():
        cells = [
            spoken_parameter(row.parameter),
            _index_text(row, outcome, method),
            _noise_text(row, outcome, method) if _finite(row.noise) else "n/a",
            "yes" if _above(row.above_noise) else "no",
        ]
        for other in others:
            match = table[(table["index"] == other) & (table["parameter"] == row.parameter)]
            cells.append(_index_text(next(match.itertuples()), outcome, method) if len(match) else "")
        if method == "morris":
            mu = table[(table["index"] == "mu") & (table["parameter"] == row.parameter)]["value"]
            cells.append(_direction(float(mu.iloc[0]), outcome) if len(mu) else "")
        rows.append(cells)
    return [*out, h.table(head, rows)]


def _level(value: Any, outcome: str) -> str:
    """A level of ``outcome``: euros as money, shares as percentages."""
    return money(float(value), sign=False) if outcome in MONEY and _finite(value) else fmt(value, outcome)


def _direction(mu: float, outcome: str) -> str:
    if not math.isfinite(mu) or mu == 0:
        return "none"
    return f"{'raises' if mu > 0 else 'lowers'} it ({'+' if mu > 0 else '−'}{amount(abs(mu), outcome)})"


def sensitivity_report(folder: Path) -> tuple[str, str, list[str]]:

    result = read_json(folder / "sensitivity.json")
    manifest = read_json(folder / "manifest.json")
    indices = _indices(folder)
    answer = sensitivity_answer(result, indices)
    method = result.get("method", "morris")
    counts = result.get("counts") or {}
    params = (result.get("sample") or {}).get("parameters") or {}
    ranges = [
        (
            spoken_parameter(k),
            k,
            f"{v.get('low'):g} to {v.get('high'):g}"
            if "low" in v
            else ", ".join(str(x).lower() for x in v.get("levels") or []),
        )
        for k, v in params.items()
    ]
    reading = (
        "How to read this: an effect (μ*, Morris 1991 after Campolongo et al. 2007) is the mean absolute change "
        "of the outcome when the parameter moves across its plausible range, the others held at a sampled "
        "point; σ is how much that change varies from point to point (interactions or a curved response); μ "
        "says which way it mostly goes."
        if method == "morris"
        else "How to read this: ST is the share of the outcome's variance the parameter accounts for with its "
        "interactions, S1 on its own (Sobol' 2001; Saltelli et al. 2010)."
    ) + (
        " Intervals are 95 % bootstrap intervals. 'Noise alone' is the index that replication noise would give "
        "by itself with these replications; a parameter stands out when its interval's lower end lies above it."
    )
    base = manifest.get("base_scenario") or {}
    body = [
        h.paragraph(reading, "note"),
        h.heading("What was run"),
        h.facts(
            [
                ("study", result.get("name")),
                ("base scenario", f"{base.get('name', '?')} ({(manifest.get('experiment') or {}).get('scenario')})"),
                ("method", f"{method}, {counts.get('design_rows')} design rows"),
                ("replications", f"{result.get('replications')} per design row (common seeds across rows)"),
                ("runs", counts.get("runs")),
                ("weeks", f"{base.get('steps')} (the first {base.get('warmup')} are warm-up)"),
                ("root seed", (manifest.get("experiment") or {}).get("seed")),
                *provenance(result),
            ]
        ),
        h.heading("Parameters and their ranges"),
        h.table(["parameter", "key in the scenario", "range"], ranges),
        h.heading("Outcomes, parameter by parameter"),
        *(
            section
            for outcome in result.get("outcome_order") or list(result.get("outcomes", {}))
            for section in _outcome_section(indices, result, outcome)
        ),
        h.paragraph("The same numbers are in sensitivity.md and indices.csv in the study's folder.", "note"),
        h.heading("Figures"),
        *figures(folder),
    ]
    seed = _first_seed(folder)
    if base and seed is not None:
        body += why_section(
            rerun_why(base, seed),
            f"The study's base scenario ({base.get('name')}) run again at the seed of its first replication.",
        )
    return f"Sensitivity: {result.get('name', folder.name)}", answer, body


def _first_seed(folder: Path) -> int | None:
    try:
        runs = pd.read_parquet(folder / "runs.parquet", columns=["replication", "seed"])
    except Exception:  # pyarrow reports a missing or damaged file in several ways
        return None
    first = runs.loc[runs["replication"] == 0, "seed"]
    return int(first.iloc[0]) if len(first) else None


# ----------------------------------------------------------------------------- a validation


def _criterion(number_: int, key: str) -> Any:
    from sim.validation.patterns import PATTERNS

    for p in PATTERNS:
        if p.number == number_:
            return next((c for c in p.criteria if c.key == key), None)
    return None


def criterion_text(c: dict[str, Any]) -> str:
    """``label 0.511 [−1.000, 1.000] against the band [0.15, 0.4]`` as the validation's table prints it."""
    spec = _criterion(int(c["pattern"]), str(c["criterion"]))
    label = c.get("label") or str(c["criterion"]).replace("_", " ")
    if spec is None:
        return f"{label} {c.get('estimate')}"
    value = spec.show(c["estimate"] if _finite(c.get("estimate")) else None)
    ci = (
        f" [{spec.show(c['ci_low'])}, {spec.show(c['ci_high'])}]"
        if _finite(c.get("ci_low")) and _finite(c.get("ci_high"))
        else ""
    )
    return f"{label} {value}{ci} against {spec.band_text()}"


def validation_answer(data: dict[str, Any]) -> str:
    """How many patterns pass; each failing one with its first failing criterion, number next to band.

    One line, then a line ``- ...`` per failing pattern (the report shows them as a list).
    """
    patterns = data.get("patterns") or []
    failing = [p for p in patterns if not p.get("passed")]
    reps = (data.get("plan") or {}).get("reps")
    text = f"{len(patterns) - len(failing)} of {len(patterns)} published patterns pass"
    text += f" ({reps} replications of each experiment)" if reps else ""
    passing = [p for p in patterns if p.get("passed")]
    if passing and failing:
        text += ": " + "; ".join(f"{p['number']}. {p['title']}" for p in passing)
    if not failing:
        return text + ": the model reproduces every pattern inside its published band."
    items = []
    only_width = 0
    for p in failing:
        bad = [c for c in p.get("criteria") or [] if not c.get("passed")]
        if bad and all("wider than the band" in str(c.get("reason")) for c in bad):
            only_width += 1
        if not bad:
            items.append(f"{p['number']}. {p['title']}")
            continue
        more = "" if len(bad) == 1 else f" (and {len(bad) - 1} more {'criterion' if len(bad) == 2 else 'criteria'})"
        items.append(f"{p['number']}. {p['title']}: {criterion_text(bad[0])}, {bad[0].get('reason')}{more}")
    text += f". {len(failing)} fail:\n" + "\n".join(f"- {item}." for item in items)
    if only_width:
        text += (
            f"\n{only_width} of them fail only because their intervals are wider than the bands: more replications "
            "(the command's default is 80) narrow them."
        )
    return text


def validation_report(folder: Path) -> tuple[str, str, list[str]]:

    manifest = read_json(folder / "manifest.json")
    data = read_json(folder / "patterns.json")
    text = read_text(folder / "report.md")
    answer = validation_answer(data)
    text = re.sub(r"^# .*\n", "", text, count=1)
    text = re.sub(r"^\*\*\d+ of \d+ patterns pass\.\*\*.*\n", "", text, count=1, flags=re.M)
    # versions and the rule are said once, in the facts and the note above
    text = re.sub(r"^- (cxsim \d|Pattern-oriented modelling).*\n", "", text, flags=re.M)
    scenario = manifest.get("scenario") or {}
    arms = manifest.get("experiments") or {}
    first = next(iter(arms.values()), [{}])[0] if arms else {}
    plan = data.get("plan") or manifest.get("plan") or {}
    body = [
        h.paragraph(
            "A pattern passes when each of its criteria does: the model's estimate lies inside the published band "
            "and its 95 % confidence interval is no wider than the band (for a direction, the whole interval lies "
            "on the stated side). The bands were fixed from the literature before the model was calibrated "
            "(pattern-oriented modelling, Grimm et al. 2005).",
            "note",
        ),
        h.heading("What was run"),
        h.facts(
            [
                ("scenario", f"{scenario.get('name', '?')} ({manifest.get('scenario_source') or 'built in'})"),
                ("replications", f"{plan.get('reps')} of each replicated experiment, root seed {plan.get('seed')}"),
                ("runs", (manifest.get("runs") or {}).get("total")),
                ("experiments", ", ".join(a.replace("_", " ") for a in arms) or "?"),
                *provenance(manifest),
            ]
        ),
        h.markdown(text, folder),
    ]
    if scenario and "seed" in first:
        body += why_section(
            rerun_why(scenario, int(first["seed"])),
            "The validated scenario, replication 1 of its first experiment, run again from its recorded seed.",
        )
    return f"Validation of {scenario.get('name', folder.name)}", answer, body


# ----------------------------------------------------------------------------- a calibration


def _value(x: Any, whole: bool = False) -> str:
    if not _finite(x):
        return "n/a"
    return f"{round(float(x)):,}" if whole else number(float(x))


def _target_text(t: dict[str, Any]) -> str:
    name = str(t.get("target", "?"))
    if name.startswith("history:"):
        kpi = name.split(":", 1)[1]
        return (
            f"the history of {spoken_outcome(kpi)}: RMSE {_value(t.get('rmse'))} against a tolerance of "
            f"{_value(t.get('tolerance'))}, {t.get('weeks_inside_band')} of {t.get('weeks')} weeks inside the "
            "model's 95 % band"
        )
    ci = f" [95 % CI {_value(t.get('low'))} to {_value(t.get('high'))}]" if _finite(t.get("low")) else ""
    return (
        f"{spoken_outcome(name)} {_value(t.get('mean'))}{ci} against the target "
        f"{_value(t.get('value'))} ± {_value(t.get('tolerance'))}"
    )


def calibration_answer(manifest: dict[str, Any]) -> str:
    """The fitted values with their range within the replication noise, and whether each target was reached."""
    params = manifest.get("parameters") or []
    targets = manifest.get("targets") or []
    spec = manifest.get("calibration") or {}
    fitted = []
    for p in params:
        whole = bool(p.get("whole"))
        rng = p.get("noise_range") or []
        noise = (
            f" (within the replication noise of the best: {_value(rng[0], whole)} to {_value(rng[1], whole)})"
            if len(rng) == 2
            else ""
        )
        fitted.append(f"{spoken_parameter(p['parameter'])} {_value(p.get('fitted'), whole)}{noise}")
    reached = [t for t in targets if t.get("reached")]
    missed = [t for t in targets if not t.get("reached")]
    text = "Fitted: " + "; ".join(fitted) + "." if fitted else "No parameter was fitted."
    reps = spec.get("replications")
    if len(targets) == 1 and not missed:
        text += " The target is reached"
    elif targets and not missed:
        text += f" {'Both' if len(targets) == 2 else 'All'} targets reached"
    else:
        text += f" {len(reached)} of {len(targets)} targets reached"
    text += f" ({reps} replications at the fitted point)" if reps else ""
    parts = [f"{_target_text(t)}{'' if t.get('reached') else ' — not reached'}" for t in targets]
    text += (": " + "; ".join(parts)) if parts else ""
    text += "."
    if manifest.get("stopped_by"):
        count = (manifest.get("counts") or {}).get("candidates")
        text += f" {count} candidates evaluated; the search stopped because {manifest['stopped_by']}."
    return text


def calibration_report(folder: Path) -> tuple[str, str, list[str]]:

    text = read_text(folder / "calibration.md")
    manifest_path = folder / "manifest.json"
    manifest = read_json(manifest_path) if manifest_path.is_file() else {}
    spec = manifest.get("calibration") or {}
    if manifest.get("parameters") is not None:
        answer = calibration_answer(manifest)
    else:  # an older calibration without a manifest: its summary's first sentence
        first = next((line for line in text.splitlines() if line.strip() and not line.startswith("#")), "")
        answer = re.sub(r"[*`]", "", first) or "See the fitted values below."
    name = spec.get("name") or folder.name
    body: list[str] = []
    if manifest:
        counts = manifest.get("counts") or {}
        body += [
            h.heading("What was run"),
            h.facts(
                [
                    ("calibration", f"{name}: {spec.get('description') or ''}".rstrip(": ")),
                    ("base scenario", spec.get("scenario")),
                    ("weeks", spec.get("steps") or "the scenario's own"),
                    (
                        "replications",
                        f"{spec.get('replications')} per candidate, every candidate on the same seeds "
                        f"(root seed {spec.get('seed')})",
                    ),
                    ("candidates", f"{counts.get('candidates')} ({counts.get('runs')} runs)"),
                    ("stopped", manifest.get("stopped_by")),
                    *provenance(manifest),
                ]
            ),
        ]
    body += [h.markdown(re.sub(r"^# .*\n", "", text, count=1), folder), h.heading("Figures"), *figures(folder)]
    fitted = folder / "fitted.yaml"
    if fitted.is_file() and manifest.get("seeds"):
        import yaml

        try:
            scenario = yaml.safe_load(fitted.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            scenario = None
        if isinstance(scenario, dict):
            body += why_section(
                rerun_why(scenario, int(manifest["seeds"][0])),
                "The fitted scenario (fitted.yaml) run again at the seed of its first replication.",
            )
    return f"Calibration: {name}", answer, body
