"""``make bench``: model speed at three sizes, memory, scaling, data-collection overhead, batch
throughput, the speed-up over an idiomatic per-agent Mesa implementation, and the projected wall
time of a Sobol study. Prints one table and writes it to ``benchmarks/RESULTS.md``. With
``--against REV`` (``make bench AGAINST=REV``) it also times git revision REV's model on this machine,
by that revision's own benchmark, so a change is judged like for like.

Each size is measured in a fresh process (so peak memory is that run's), as the median of
repeated runs of model time: building the model and running its 156 weeks, without interpreter
start-up or imports.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIZES = {"S": (120, 600), "M": (1_000, 10_000), "L": (10_000, 100_000)}
REPEATS = {"S": 7, "M": 3, "L": 2}
TARGETS = {"S_seconds": 0.15, "L_seconds": 15.0, "L_peak_gib": 2.0, "speedup_M": 30.0, "exponent": 1.1, "dc": 0.10}
SOBOL = {"parameters": 8, "N": 256, "replications": 5}


def sized_scenario(employees: int, accounts: int, steps: int = 156, seed: int = 1):
    """The baseline company scaled: units in proportion, prospects and each segment's market with the accounts."""
    from sim.scenario.schema import Scenario

    raw = Scenario().model_dump(mode="json")
    units = raw["organization"]["units"]
    for name, share in (("sales", 40 / 120), ("delivery", 50 / 120), ("support", 30 / 120)):
        units[name]["employees"] = max(1, round(employees * share))
    raw["customers"]["accounts"] = accounts
    raw["customers"]["prospects"] = round(80 * accounts / 600)
    for segment in raw["customers"]["segments"].values():
        segment["market_potential"] = round(segment["market_potential"] * accounts / 600)
    raw.update(steps=steps, seed=seed)
    return Scenario.model_validate(raw)


# ------------------------------------------------------------------------------ child process


def child(kind: str, size: str, repeats: int) -> dict:
    """Measure in this (fresh) process and return JSON-able numbers."""
    from sim.model import CXModel

    employees, accounts = SIZES[size]
    scenario = sized_scenario(employees, accounts)
    times = []
    if kind == "collection":
        return _collection(scenario, repeats)
    for r in range(repeats):
        s = scenario.model_copy(update={"seed": 1 + r})
        t0 = time.perf_counter()
        if kind == "model":
            CXModel(s, rng=s.seed, collect=False).run()
        elif kind in ("reference", "core"):
            from benchmarks.reference_mesa import ReferenceModel, core_rules_scenario

            core = core_rules_scenario(accounts=accounts, employees=_unit_sizes(employees), steps=156, seed=1 + r)
            if kind == "reference":
                ReferenceModel(core).run()
            else:
                CXModel(core, rng=core.seed, collect=False).run()
        times.append(time.perf_counter() - t0)
    return {
        "times": times,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "agents": employees + accounts,
    }


def _collection(scenario, repeats: int) -> dict[str, list[float]]:
    """Run time with and without data collection, interleaved in one process so drift cancels."""
    from sim.model import CXModel

    out: dict[str, list[float]] = {"with": [], "without": []}
    for r in range(repeats):
        s = scenario.model_copy(update={"seed": 1 + r})
        for key, on in (("with", True), ("without", False)):
            t0 = time.perf_counter()
            CXModel(s, rng=s.seed, collect=on, record=on).run()
            out[key].append(time.perf_counter() - t0)
    return out


def _unit_sizes(employees: int) -> tuple[int, int, int]:
    return (round(employees * 40 / 120), round(employees * 50 / 120), round(employees * 30 / 120))


def measure(kind: str, size: str, repeats: int) -> dict:
    """Run :func:`child` in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--child", kind, size, str(repeats)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def batch_throughput(runs: int = 200) -> tuple[float, int]:
    """Runs per minute of size S through the batch engine on all cores."""
    from sim.experiments.batch import run_batch
    from sim.experiments.spec import ExperimentSpec, build_experiment

    spec = ExperimentSpec(
        name="bench_throughput",
        scenario=str(ROOT / "scenarios" / "baseline.yaml"),
        replications=runs,
        seed=7,
        outcomes=["annual_churn_rate"],
    )
    experiment = build_experiment(spec, ROOT, "benchmark")
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_batch(experiment, Path(tmp) / "out", workers=workers, progress=False, figures=False)
        seconds = time.perf_counter() - t0
    return runs / seconds * 60.0, workers


@contextlib.contextmanager
def revision_tree(rev: str | None) -> Iterator[Path | None]:
    """A temporary git worktree of revision ``rev`` (None: nothing), removed afterwards."""
    if rev is None:
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), rev], cwd=ROOT, check=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)


#: alternate rounds per size when timing against another revision (the machine's speed drifts)
ROUNDS = {"S": 5, "M": 3, "L": 1}


def revision_measure(tree: Path, size: str) -> float:
    """Median model time of the revision checked out in ``tree``, by its own benchmark child, with this
    interpreter and these libraries: the code is all that differs."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--child", "model", size, str(REPEATS[size])],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
    )
    return statistics.median(json.loads(out.stdout.strip().splitlines()[-1])["times"])


# ------------------------------------------------------------------------------ report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024**2:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    import mesa
    import numpy

    return (
        f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, numpy {numpy.__version__}, Mesa {mesa.__version__}"
    )


def main(against: str | None = None) -> None:
    print("measuring ... (fresh process per size)", flush=True)
    res, ratios = {}, {}
    with revision_tree(against) as tree:
        for size in SIZES:
            res[size] = measure("model", size, REPEATS[size])
            if tree is not None:  # alternate rounds of both, a ratio per round: the machine's drift cancels
                ratios[size] = [statistics.median(res[size]["times"]) / revision_measure(tree, size)]
                for _ in range(ROUNDS[size] - 1):
                    ratios[size].append(
                        statistics.median(measure("model", size, REPEATS[size])["times"]) / revision_measure(tree, size)
                    )
    med = {size: statistics.median(r["times"]) for size, r in res.items()}
    agents = {size: r["agents"] for size, r in res.items()}
    exponent = math.log(med["L"] / med["S"]) / math.log(agents["L"] / agents["S"])
    collection = measure("collection", "S", 9)
    dc_with, dc_without = statistics.median(collection["with"]), statistics.median(collection["without"])
    dc = (dc_with - dc_without) / dc_with
    ref: dict[str, float] = {}
    core: dict[str, float] = {}
    try:
        for size in ("S", "M"):
            ref[size] = statistics.median(measure("reference", size, 2 if size == "M" else 3)["times"])
            core[size] = statistics.median(measure("core", size, 3)["times"])
    except subprocess.CalledProcessError as exc:
        print(f"reference not measured: {exc.stderr.strip().splitlines()[-1] if exc.stderr else exc}")
    throughput, workers = batch_throughput()
    sobol_runs = SOBOL["N"] * (2 * SOBOL["parameters"] + 2) * SOBOL["replications"]
    sobol_hours = sobol_runs / throughput / 60

    def ok(flag: bool) -> str:
        return "yes" if flag else "**no**"

    rows = [
        "| size | employees | accounts | model time per run (median) | peak memory | agent-steps / s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for size, (emp, acc) in SIZES.items():
        steps_per_s = agents[size] * 156 / med[size]
        rows.append(
            f"| {size} | {emp:,} | {acc:,} | {med[size]:.3f} s ({len(res[size]['times'])} runs) | "
            f"{res[size]['peak_rss_mb']:.0f} MiB | {steps_per_s / 1e6:.2f} M |"
        )
    targets = [
        "| target | measured | met |",
        "|---|---:|---|",
        f"| S ≤ {TARGETS['S_seconds']} s per run | {med['S']:.3f} s | {ok(med['S'] <= TARGETS['S_seconds'])} |",
        f"| L ≤ {TARGETS['L_seconds']:.0f} s per run | {med['L']:.2f} s | {ok(med['L'] <= TARGETS['L_seconds'])} |",
        f"| L peak memory ≤ {TARGETS['L_peak_gib']:.0f} GiB | {res['L']['peak_rss_mb'] / 1024:.2f} GiB | "
        f"{ok(res['L']['peak_rss_mb'] / 1024 <= TARGETS['L_peak_gib'])} |",
        f"| scaling exponent S→L ≤ {TARGETS['exponent']} | {exponent:.2f} | {ok(exponent <= TARGETS['exponent'])} |",
        f"| data collection ≤ {TARGETS['dc']:.0%} of run time | {dc:.1%} | {ok(dc <= TARGETS['dc'])} |",
    ]
    if "M" in ref:
        speed_core = ref["M"] / core["M"]
        targets.append(
            f"| speed-up over idiomatic Mesa at M ≥ {TARGETS['speedup_M']:.0f}x | {speed_core:.0f}x | "
            f"{ok(speed_core >= TARGETS['speedup_M'])} |"
        )
    other = [
        f"- Data collection: {dc_with:.3f} s with the KPI record and Mesa's DataCollector, "
        f"{dc_without:.3f} s without (size S, median of 9 pairs run alternately in one process).",
        f"- Batch throughput: {throughput:.0f} runs of size S per minute through `cxsim batch` on {workers} cores "
        "(200 runs, process pool).",
        f"- Projected Sobol study ({SOBOL['parameters']} parameters, N = {SOBOL['N']}, second order: N·(2D+2) = "
        f"{SOBOL['N'] * (2 * SOBOL['parameters'] + 2):,} points x {SOBOL['replications']} replications = "
        f"{sobol_runs:,} runs of size S): {sobol_hours:.1f} h on this machine.",
    ]
    if ref:
        for size in ref:
            other.append(
                f"- Idiomatic per-agent Mesa reference (`benchmarks/reference_mesa.py`, core rules) at {size}: "
                f"{ref[size]:.2f} s per run; this model in the same core-rules configuration: {core[size]:.3f} s "
                f"({ref[size] / core[size]:.0f}x); the full model: {med[size]:.3f} s ({ref[size] / med[size]:.0f}x)."
            )
    if against:
        other.append(
            f"- Against revision `{against}`, timed by that revision's own benchmark in alternate rounds with this "
            "one (same machine, interpreter and libraries): model time per run of this revision over that one's, "
            "the median over rounds (each round's ratio in brackets): "
            + "; ".join(
                f"{k} {statistics.median(r):.2f}x ({', '.join(f'{x:.2f}' for x in r)})" for k, r in ratios.items()
            )
            + "."
        )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Measured {stamp} by `make bench` on: {machine()}.",
            "156 weeks per run; model time = building the model and running it, in a fresh process per size.",
            "",
            *rows,
            "",
            *targets,
            "",
            *other,
            "",
        ]
    )
    print(text)
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    print(f"written: {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SIZE", "REPEATS"))
    parser.add_argument("--against", metavar="REV", help="also time git revision REV's model on this machine")
    args = parser.parse_args()
    if args.child:
        kind, size, repeats = args.child
        print(json.dumps(child(kind, size, int(repeats))))
    else:
        main(args.against)
