"""Which parameters drive the model's outcomes: the two shipped sensitivity studies, written to docs/.

A Morris screening of the levers, the sourced weights and the assumptions over their plausible ranges
(``experiments/sensitivity_morris.yaml``), then a Sobol' variance decomposition of the eight that
matter most (``experiments/sensitivity_sobol.yaml``), both run by :mod:`sim.experiments.sensitivity`
as ``cxsim sensitivity`` runs them. A study folder that holds a finished analysis is read as it is;
a missing or unfinished one is run (or resumed).

    python docs/sensitivity.py                        # -> docs/sensitivity.md, docs/figures/sensitivity/
    python docs/sensitivity.py --workers 2 --results results

The page's figures are copied to ``docs/figures/sensitivity/``; the list of the assumptions that matter
most in ``docs/ODD.md`` (between its ``sensitivity-assumptions`` markers) is rewritten from the Morris
study. The Sobol' spec must hold the Morris study's eight most influential parameters: the page is not
written when it does not.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from sim import __version__
from sim.experiments.figures import effect_unit
from sim.experiments.sensitivity import load_study, run_sensitivity, short_name
from sim.outputs.figures import quantity
from sim.outputs.files import atomic_write_text
from sim.scenario.parameters import is_assumption
from sim.scenario.ranges import field_info, numeric_parameters

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STUDIES = {
    "morris": ROOT / "experiments" / "sensitivity_morris.yaml",
    "sobol": ROOT / "experiments" / "sensitivity_sobol.yaml",
}
FIGURES = HERE / "figures" / "sensitivity"
MARKERS = ("<!-- sensitivity-assumptions:start -->", "<!-- sensitivity-assumptions:end -->")
#: how many of the screened parameters go on to the Sobol' study
CARRIED = 8


def study(kind: str, results: Path, workers: int | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A study's indices and record: read from its folder when finished, else run (or resumed) there."""
    experiment = load_study(STUDIES[kind], max_runs=None)
    folder = results / experiment.spec.name
    if not (folder / "indices.csv").is_file() or not (folder / "sensitivity.json").is_file():
        run_sensitivity(experiment, folder, workers=workers, progress=sys.stderr.isatty())
    record = json.loads((folder / "sensitivity.json").read_text(encoding="utf-8"))
    indices = pd.read_csv(folder / "indices.csv", keep_default_na=False, na_values=[""])
    record["folder"] = str(folder)
    return indices, record


def analysed(record: dict[str, Any]) -> list[str]:
    """The outcomes a study analysed, in its spec's order."""
    return [o for o in record["outcome_order"] if "left_out" not in record["outcomes"][o]]


def influence(indices: pd.DataFrame, record: dict[str, Any]) -> pd.DataFrame:
    """Per parameter and outcome the main index as a share of the outcome's largest; their mean ranks the parameters."""
    main = record["main_index"]
    outcomes = analysed(record)
    sub = indices[indices["index"] == main].pivot(index="parameter", columns="outcome", values="value")[outcomes]
    share = sub.abs() / sub.abs().max()
    share["mean"] = share.mean(axis=1)
    return share.sort_values("mean", ascending=False, kind="stable")


def above(indices: pd.DataFrame, index: str) -> pd.DataFrame:
    """Per parameter and outcome whether the index stands above replication noise."""
    sub = indices[indices["index"] == index]
    return sub.pivot(index="parameter", columns="outcome", values="above_noise").astype(str).eq("True")


def _value(outcome: str, x: float) -> str:
    """A Morris effect in the unit the figures use (pp for shares, NPS points, EUR million)."""
    scale, _ = effect_unit(outcome)
    v = scale * x
    return f"{v:.2g}" if abs(v) < 10 else f"{v:.0f}"


def _unit(outcome: str) -> str:
    return effect_unit(outcome)[1]


def _took(record: dict[str, Any]) -> str:
    return f"{record['run_seconds'] / 60:.0f} minutes of batch time, {record['executor']}"


def _assumption(parameter: str) -> bool:
    return is_assumption(field_info(parameter)[0])


def morris_section(indices: pd.DataFrame, record: dict[str, Any], figures: list[str]) -> list[str]:
    """The screening: every parameter's μ* for every outcome, the noise, the μ*–σ plots."""
    outcomes = analysed(record)
    share = influence(indices, record)
    star = indices[indices["index"] == "mu_star"].pivot(index="parameter", columns="outcome", values="value")
    mu = indices[indices["index"] == "mu"].pivot(index="parameter", columns="outcome", values="value")
    marks = above(indices, "mu_star")
    options = record["sample"]["options"]
    lines = [
        "## Screening: Morris elementary effects",
        "",
        f"`experiments/sensitivity_morris.yaml`: {len(share)} parameters, {record['sample']['samples']} trajectories "
        f"of {len(share) + 1} points on a {options['levels']}-level grid ({record['counts']['design_rows']} design "
        f"rows) x {record['replications']} replications: {record['counts']['runs']:,} distinct runs "
        f"({_took(record)}).",
        "",
        "Each cell is μ*, the mean absolute change of the outcome when the parameter moves by two thirds of its "
        "plausible range (one switch flipped, a style two presets along), with its sign (the sign of μ, the mean "
        "change when the parameter rises); `*` marks a μ* whose lower 95 % interval end lies above what "
        "replication noise alone gives. Units: "
        + "; ".join(f"{quantity(o).label} in {_unit(o)}" for o in outcomes)
        + ". Rows are ranked by the mean over the outcomes of μ* as a share of the outcome's largest "
        "(the ranking figure); **A** marks an assumption.",
        "",
        "| rank | parameter | " + " | ".join(quantity(o).label for o in outcomes) + " |",
        "|---:|---|" + "---:|" * len(outcomes),
    ]
    for rank, parameter in enumerate(share.index, start=1):
        cells = []
        for o in outcomes:
            sign = "−" if mu.loc[parameter, o] < 0 else "+"
            cells.append(f"{sign}{_value(o, star.loc[parameter, o])}{' *' if marks.loc[parameter, o] else ''}")
        tag = " **A**" if _assumption(parameter) else ""
        lines.append(f"| {rank} | `{short_name(parameter)}`{tag} | " + " | ".join(cells) + " |")
    noise = record["outcomes"]
    lines += [
        "",
        "Replication noise: the standard error of a design row's mean over its replications is "
        + "; ".join(f"{_value(o, noise[o]['replication_se'])} {_unit(o)} for {quantity(o).label}" for o in outcomes)
        + ".",
        "",
        f"![Morris ranking](figures/sensitivity/{figures[0]})",
        "",
        "μ* against σ: far right, a parameter matters; high up, its effect depends on where the other parameters "
        "stand (nonlinear or interacting; Morris 1991). The grey band is what replication noise alone reaches.",
        "",
        *[f"![Morris μ*–σ, {name[7:-4]}](figures/sensitivity/{name})" for name in figures[1:]],
    ]
    return lines


def _first_order_sum(total: float) -> str:
    """What the sum of the first-order indices says (at a small N, within its estimation error)."""
    if total < 1:
        return (
            f"ΣS1 = {total:.2f}: the parameters alone explain that share of the variance, interactions (or, at "
            "this N, estimation error) the rest."
        )
    return (
        f"ΣS1 = {total:.2f}: above 1, so at this N the first-order estimates err by about their intervals; "
        "where ST exceeds S1 beyond both intervals, the parameter acts through interactions."
    )


def sobol_section(indices: pd.DataFrame, record: dict[str, Any], figures: list[str]) -> list[str]:
    """The variance decomposition: S1 and ST with intervals and noise for each outcome."""
    outcomes = analysed(record)
    share = influence(indices, record)
    options = record["sample"]["options"]
    second = "with" if options.get("second_order") else "without"
    lines = [
        "## Variance decomposition: Sobol' indices",
        "",
        f"`experiments/sensitivity_sobol.yaml`: the {len(share)} most influential parameters of the screening, "
        f"N = {record['sample']['samples']} base samples of Saltelli's scheme {second} second-order indices "
        f"({record['counts']['design_rows']} design rows) x {record['replications']} replications: "
        f"{record['counts']['runs']:,} distinct runs, repeated points sharing theirs ({_took(record)}). "
        "S1 is the share of an outcome's variance over the ranges that the parameter explains alone, ST the share "
        "it takes part in, interactions included (Saltelli et al. 2010); ± is the 95 % bootstrap interval, "
        "`noise` the index replication noise alone gives, `*` an index whose lower interval end lies above it.",
    ]
    for o in outcomes:
        noise = record["outcomes"][o]
        sub = indices[indices["outcome"] == o]
        s1 = sub[sub["index"] == "S1"].set_index("parameter")
        st = sub[sub["index"] == "ST"].set_index("parameter").sort_values("value", ascending=False, kind="stable")
        lines += [
            "",
            f"### {quantity(o).label}",
            "",
            f"{_first_order_sum(s1['value'].sum())} Replication noise is "
            f"{noise['noise_share_of_variance']:.1%} of the variance across design rows.",
            "",
            "| parameter | S1 | ST | noise (ST) |",
            "|---|---:|---:|---:|",
        ]
        for p, row in st.iterrows():
            first = s1.loc[p]
            lines.append(
                f"| `{short_name(p)}`{' **A**' if _assumption(p) else ''} | "
                f"{first['value']:.3f} ± {first['conf']:.3f}{' *' if str(first['above_noise']) == 'True' else ''} | "
                f"{row['value']:.3f} ± {row['conf']:.3f}{' *' if str(row['above_noise']) == 'True' else ''} | "
                f"{row['noise']:.3f} |"
            )
    lines += ["", f"![Sobol' ranking](figures/sensitivity/{figures[0]})", ""]
    lines += [f"![Sobol' indices, {name[6:-4]}](figures/sensitivity/{name})" for name in figures[1:]]
    return lines


def assumptions_table(indices: pd.DataFrame, record: dict[str, Any]) -> str:
    """The screened assumptions by influence: rank among all screened parameters, largest effect, where above noise."""
    share = influence(indices, record)
    marks = above(indices, "mu_star")
    star = indices[indices["index"] == "mu_star"].pivot(index="parameter", columns="outcome", values="value")
    mu = indices[indices["index"] == "mu"].pivot(index="parameter", columns="outcome", values="value")
    outcomes = analysed(record)
    lines = [
        f"| rank of {len(share)} | assumption | mean share of the largest μ* | where it weighs most (μ*, sign of μ) "
        "| above replication noise for |",
        "|---:|---|---:|---|---|",
    ]
    for rank, parameter in enumerate(share.index, start=1):
        if not _assumption(parameter):
            continue
        o = share.loc[parameter, outcomes].astype(float).idxmax()
        sign = "−" if mu.loc[parameter, o] < 0 else "+"
        largest = f"{quantity(o).label}: {sign}{_value(o, star.loc[parameter, o])} {_unit(o)}"
        where = ", ".join(quantity(x).label for x in outcomes if marks.loc[parameter, x]) or "none"
        lines.append(f"| {rank} | `{parameter}` | {share.loc[parameter, 'mean']:.2f} | {largest} | {where} |")
    return "\n".join(lines)


def check_carried(morris: pd.DataFrame, record: dict[str, Any], sobol_record: dict[str, Any]) -> list[str]:
    """The Sobol' study's parameters are the screening's eight most influential (else the page would mislead)."""
    top = list(influence(morris, record).index[:CARRIED])
    carried = list(sobol_record["sample"]["parameters"])
    if sorted(top) != sorted(carried):
        raise SystemExit(f"the Sobol' spec should hold the screening's top {CARRIED}: {top}; it holds {carried}")
    return top


def copy_figures(record: dict[str, Any], names: dict[str, str]) -> list[str]:
    """Copy a study's figures (name in the study folder -> name in docs/figures/sensitivity/); return the new names."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    for name, target in names.items():
        shutil.copyfile(Path(record["folder"]) / name, FIGURES / target)
    return list(names.values())


def page(morris: pd.DataFrame, m: dict[str, Any], sobol: pd.DataFrame, s: dict[str, Any]) -> str:
    """docs/sensitivity.md."""
    top = check_carried(morris, m, s)
    m_figures = copy_figures(
        m, {"ranking.png": "morris_ranking.png", **{f"morris_{o}.png": f"morris_{o}.png" for o in analysed(m)}}
    )
    s_figures = copy_figures(
        s, {"ranking.png": "sobol_ranking.png", **{f"indices_{o}.png": f"sobol_{o}.png" for o in analysed(s)}}
    )
    base = json.loads((Path(m["folder"]) / "manifest.json").read_text(encoding="utf-8"))["base_scenario"]
    lines = [
        "# Sensitivity analysis",
        "",
        f"Which parameters move the model's outcomes, and by how much (cxsim {__version__}, SALib {m['salib']}). "
        f"Both studies vary parameters of the baseline company ({base['steps']} weeks, the first {base['warmup']} "
        "left out) over their plausible ranges (the ODD's parameter table): Morris moves one parameter at a time "
        "from points spread over all the ranges, Sobol' draws them all at once; replication k of every design "
        "point runs with the same seed (common random numbers). Written by `python docs/sensitivity.py` from "
        "the study folders "
        f"(`{Path(m['folder']).name}`, `{Path(s['folder']).name}`); do not edit by hand.",
        "",
        "How to read it. Morris's μ* (Morris 1991; Campolongo, Cariboni & Saltelli 2007) ranks parameters by "
        "the size of their effects in the outcome's own unit; σ says whether the effect depends on the other "
        "parameters. Sobol's indices (Saltelli et al. 2010) split the outcome's variance over the ranges. A simulated "
        "outcome is noisy: beside every index stands what the same design gives when the outcome is replication "
        "noise alone, and only an index whose interval lies above that reads as an effect. The ranges matter as "
        "much as the model: a parameter with a wide plausible range can rank high because little is known about "
        "it, which is a reason to measure it, not a finding about companies.",
        "",
        *morris_section(morris, m, m_figures),
        "",
        f"The eight most influential — {', '.join(f'`{short_name(p)}`' for p in top)} — go on to the Sobol' study.",
        "",
        *sobol_section(sobol, s, s_figures),
        "",
        "## Assumptions that matter most",
        "",
        "The screened parameters that no source sizes (assumptions), by their influence in the screening:",
        "",
        assumptions_table(morris, m),
        "",
        "## Limits",
        "",
        f"- {m['replications']} replications per design point: the noise level comes from "
        f"{m['analysis']['noise_halvings']} halving(s) of them; indices near it are not ranked with confidence.",
        "- The Sobol' sample is small for eight parameters; its intervals say how far to trust each index, and "
        "ΣS1 below 1 may partly be estimation error rather than interactions.",
        "- A weight on an uncentred driver (the service-quality weights) and the churn slope move the level the "
        "calibration set; their plausible ranges are held accordingly (ODD, parameter table), and their large "
        "influence says how much calibrating them matters.",
        f"- Parameters left out of the screening ({len(numeric_parameters()) - len(influence(morris, m))} of the "
        f"{len(numeric_parameters())} numeric keys) are taken to matter less; "
        "the screening's choice follows the levers and the assumptions whose size no source gives.",
    ]
    return "\n".join(lines) + "\n"


def rewrite_odd(morris: pd.DataFrame, record: dict[str, Any]) -> None:
    """docs/ODD.md with its list of the assumptions that matter most replaced by the current one."""
    path = HERE / "ODD.md"
    text = path.read_text(encoding="utf-8")
    start, end = MARKERS
    if start not in text or end not in text:
        raise SystemExit(f"{path}: markers {start} ... {end} not found")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    atomic_write_text(path, f"{head}{start}\n{assumptions_table(morris, record)}\n{end}{tail}")


def main(argv: list[str] | None = None) -> int:
    """Run or read both studies, then write the page, its figures and the ODD's list."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "results", help="folder of the study folders")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes for unfinished studies")
    parser.add_argument("--out", type=Path, default=HERE / "sensitivity.md", help="the page to write")
    args = parser.parse_args(argv)
    morris, m = study("morris", args.results, args.workers)
    sobol, s = study("sobol", args.results, args.workers)
    atomic_write_text(args.out, page(morris, m, sobol, s))
    rewrite_odd(morris, m)
    print(f"{args.out}: written; figures in {FIGURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
