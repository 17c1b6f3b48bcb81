"""The policy evidence behind the model's claims: paired replications of every policy study, written to docs/.

Each study runs a reference and a policy arm of the baseline company over the same seeds
(common random numbers), and reports every measure's mean in both arms and the mean paired
difference with its 95 % confidence interval (paired t, :func:`sim.experiments.stats.paired_difference`).
The claims the model makes about the policies are checked against these intervals: a claim
holds when its interval excludes zero on the claimed side, or — for a claim of no effect —
when it covers zero.

    python docs/policy_evidence.py                 # 20 replications -> docs/policy_evidence.md
    python docs/policy_evidence.py --reps 5 --out /tmp/evidence.md --steps 80

The tests (``tests/test_policy_evidence.py``) run the same studies with fewer replications on
settings strong enough to have the power.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim import __version__
from sim.experiments.stats import paired_difference
from sim.model import CXModel
from sim.outputs.files import atomic_write_text
from sim.outputs.summary import summarise
from sim.scenario.schema import Scenario, deep_merge
from sim.vocabulary import CAUSES, FIXABLE, UNRECOVERED_FAILURE

HERE = Path(__file__).resolve().parent
#: a claim: the measure, and the sign of the policy-minus-reference difference (+1, -1, or 0 for none)
Claim = tuple[str, int]


@dataclass(frozen=True)
class Study:
    """A reference and a policy arm (scenario overrides of the baseline) and the claims about them."""

    name: str
    question: str
    reference: dict[str, Any]
    policy: dict[str, Any]
    claims: tuple[Claim, ...]
    measures: tuple[str, ...] = ()
    label: tuple[str, str] = ("reference", "policy")
    extra: dict[str, Any] = field(default_factory=dict)


MONEY = ("costs_per_year", "profit_per_year")

STUDIES: tuple[Study, ...] = (
    Study(
        "transfer_meeting",
        "What is a transfer meeting at every handoff worth (seed 003)?",
        {},
        {"policies": {"transfer_meeting": True}},
        (("annual_churn_rate", -1), ("nps", +1)),
        ("handoff_info_loss", "failure_rate", "mean_satisfaction"),
        ("no transfer meeting", "transfer meeting"),
    ),
    Study(
        "feedback_delay",
        "Does a faster feedback loop pay (seed 000 5.4.4, seed 003)?",
        {"policies": {"feedback_delay_weeks": 1}},
        {"policies": {"feedback_delay_weeks": 26}},
        (("nps", -1), ("mean_satisfaction", -1)),
        ("annual_churn_rate", "process_multiplier"),
        ("1-week delay", "26-week delay"),
    ),
    Study(
        "ask_why",
        "Does asking detractors WHY aim the fixes (seed 002)?",
        {"policies": {"ask_why": False}},
        {"policies": {"ask_why": True}},
        (("named_cause_multiplier", -1),),
        ("process_multiplier", "nps", "mean_satisfaction"),
        ("untargeted fixes", "WHY asked"),
    ),
    Study(
        "executive_commitment",
        "What does top management's CX commitment do (seed 000 5.4.1, seed 004)?",
        {"organization": {"executive": {"cx_commitment": 0.5}}},
        {"organization": {"executive": {"cx_commitment": 1.0}}},
        (("mean_engagement", +1), ("nps", +1)),
        ("mean_satisfaction", "annual_churn_rate"),
        ("commitment 0.5", "commitment 1.0"),
    ),
    Study(
        "cx_incentives",
        "Do CX-linked incentives raise satisfaction when results are measured (seed 004)?",
        {},
        {"policies": {"cx_incentives": True}},
        (("mean_satisfaction", +1),),
        ("mean_engagement", "nps", "annual_churn_rate"),
        ("no incentives", "CX incentives"),
    ),
    Study(
        "shared_customer_record",
        "Does a shared customer record speed up information inside the company (seed 000 5.4.3)?",
        {},
        {"policies": {"shared_customer_record": True}},
        (("mean_info_age_weeks", -1), ("annual_churn_rate", -1)),
        ("stale_share", "mean_satisfaction", "nps"),
        ("no shared record", "shared record"),
    ),
    Study(
        "half_staff",
        "What does understaffing cost: half the delivery and support people (Oliva & Sterman 2001)?",
        {},
        {"organization": {"units": {"delivery": {"employees": 25}, "support": {"employees": 15}}}},
        (("employee_turnover_rate", +1),),
        ("annual_churn_rate", "nps", "mean_engagement"),
        ("full staff", "half the delivery and support staff"),
    ),
    Study(
        "cx_incentives_unmeasured",
        "... and without any survey (`survey_coverage: 0`)?",
        {"policies": {"survey_coverage": 0.0}},
        {"policies": {"survey_coverage": 0.0, "cx_incentives": True}},
        (("mean_satisfaction", 0),),
        ("mean_engagement", "nps"),
        ("no incentives, no surveys", "CX incentives, no surveys"),
    ),
)


def scenario(overrides: dict[str, Any], steps: int | None, base: dict[str, Any] | None = None) -> Scenario:
    """The baseline company (changed by ``base``) with the arm's overrides and the run length, if given."""
    raw = deep_merge(deep_merge(Scenario().model_dump(), base or {}), overrides)
    if steps is not None:
        raw["steps"] = steps
    return Scenario.model_validate(raw)


def measure(args: tuple[dict[str, Any], int, int | None, dict[str, Any] | None]) -> dict[str, float]:
    """One seeded run of one arm: its outcomes plus the measures read from its weekly record."""
    overrides, seed, steps, base = args
    sc = scenario(overrides, steps, base)
    model = CXModel(sc, rng=seed, collect=False).run()
    out = {k: float(v) for k, v in summarise(model).items() if isinstance(v, int | float)}
    after = model.timeseries().iloc[sc.warmup :]
    out["process_multiplier"] = float(after["process_multiplier"].mean())
    out["why_weights"] = model.world.why_counts.sum(axis=0)[FIXABLE].astype(float).tolist()  # type: ignore[assignment]
    out["cause_multipliers"] = [  # type: ignore[assignment]
        float(after[f"process_multiplier.{CAUSES[c]}"].mean()) for c in FIXABLE
    ]
    return out


def named_cause_multiplier(runs: list[dict[str, Any]], weights_from: list[dict[str, Any]]) -> np.ndarray:
    """Per run, the mean process multiplier of the causes detractors name, weighted by how often
    they named each in the paired run that asked the WHY (the causes the WHY targets).

    Unrecovered failures are left out: complaints name them whether or not the WHY is asked, so
    what the WHY adds is the other causes.
    """
    out = []
    for run, ref in zip(runs, weights_from, strict=True):
        w = np.asarray(ref["why_weights"], dtype=float) * (FIXABLE != UNRECOVERED_FAILURE)
        m = np.asarray(run["cause_multipliers"], dtype=float)
        out.append(float((w * m).sum() / w.sum()) if w.sum() > 0 else float("nan"))
    return np.array(out)


def run_study(
    study: Study,
    seeds: list[int],
    steps: int | None,
    pool: ProcessPoolExecutor | None = None,
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Both arms over the seeds (in ``pool`` if given); per measure the arm means and the paired difference."""
    run = pool.map if pool is not None else map
    ref = list(run(measure, [(study.reference, s, steps, base) for s in seeds]))
    pol = list(run(measure, [(study.policy, s, steps, base) for s in seeds]))
    values: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    names = dict.fromkeys([c for c, _ in study.claims] + list(study.measures) + list(MONEY))
    for name in names:
        if name == "named_cause_multiplier":
            values[name] = (named_cause_multiplier(ref, pol), named_cause_multiplier(pol, pol))
        else:
            values[name] = (np.array([r[name] for r in ref]), np.array([r[name] for r in pol]))
    rows = {}
    for name, (a, b) in values.items():
        d = paired_difference(b, a)
        rows[name] = {"reference": float(np.nanmean(a)), "policy": float(np.nanmean(b)), "diff": d}
    claims = []
    for name, sign in study.claims:
        d = rows[name]["diff"]
        holds = (d.low <= 0 <= d.high) if sign == 0 else (sign * d.low > 0 and sign * d.high > 0)
        claims.append((name, sign, holds))
    return {"rows": rows, "claims": claims, "reps": len(seeds)}


def _fmt(name: str, x: float) -> str:
    if name in MONEY:
        return f"{x / 1e6:,.3f} M€"
    return f"{x:.2f}" if name == "nps" else f"{x:.4f}"


def _diff(name: str, d: Any) -> str:
    if name in MONEY:
        return f"{d.mean / 1e6:+,.3f} M€ [{d.low / 1e6:+,.3f}, {d.high / 1e6:+,.3f}]"
    return f"{d.mean:+.4f} [{d.low:+.4f}, {d.high:+.4f}]"


SIGNS = {+1: "higher", -1: "lower", 0: "no difference"}


def report(results: dict[str, dict[str, Any]], reps: int, steps: int | None, seconds: float) -> str:
    """The Markdown page: one table per study, its claims marked as holding or not."""
    lines = [
        "# Policy evidence",
        "",
        f"Paired replications of the baseline company (cxsim {__version__}): {reps} seeds per arm (1..{reps}),"
        f" the same in both arms; {steps or Scenario().steps} weeks, the first {Scenario().warmup} left out."
        " Each row gives the measure's mean in both arms and the mean paired difference (policy − reference)"
        " with its 95 % confidence interval. Written by `python docs/policy_evidence.py`"
        f" in {seconds / 60:.1f} minutes; do not edit by hand.",
        "",
    ]
    for study in (s for s in STUDIES if s.name in results):
        res = results[study.name]
        lines += [f"## {study.name}: {study.question}", ""]
        lines += [f"Reference: {study.label[0]} · policy: {study.label[1]}.", ""]
        for name, sign, holds in res["claims"]:
            mark = "holds" if holds else "**does not hold**"
            where = "the CI covers 0" if sign == 0 else "the CI excludes 0"
            said = (
                f"does not differ with the policy ({where})"
                if sign == 0
                else f"is {SIGNS[sign]} with the policy ({where})"
            )
            lines.append(f"- Claim: {name} {said}: {mark}.")
        lines += ["", f"| measure | {study.label[0]} | {study.label[1]} | difference [95 % CI] |"]
        lines.append("|---|---:|---:|---:|")
        for name, row in res["rows"].items():
            ref, pol = _fmt(name, row["reference"]), _fmt(name, row["policy"])
            lines.append(f"| `{name}` | {ref} | {pol} | {_diff(name, row['diff'])} |")
        lines.append("")
    lines += [
        "`named_cause_multiplier`: the mean process multiplier (ODD 7.1) of the causes detractors named, weighted"
        " by how often they named each in the paired run that asked the WHY (unrecovered failures left out:"
        " complaints name them either way); lower means those causes' losses were cut further.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "policy_evidence.md")
    parser.add_argument("--only", nargs="*", default=None, help="study names (default: all)")
    args = parser.parse_args(argv)
    seeds = list(range(1, args.reps + 1))
    started = time.perf_counter()
    results = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for study in STUDIES:
            if args.only and study.name not in args.only:
                continue
            print(f"{study.name} ...", file=sys.stderr, flush=True)
            results[study.name] = run_study(study, seeds, args.steps, pool)
    text = report(results, args.reps, args.steps, time.perf_counter() - started)
    atomic_write_text(args.out, text)
    print(f"wrote {args.out}", file=sys.stderr)
    failed = [f"{s}: {n}" for s, r in results.items() for n, _, ok in r["claims"] if not ok]
    if failed:
        print("claims that do not hold: " + "; ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
