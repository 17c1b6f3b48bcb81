"""The ``cxsim`` command: thin faces on the same functions a notebook calls.

Every option is checked, and every result folder too, before the first run starts; a problem
is one line on stderr (``error: <file or option>: ...``) and never a traceback.

Exit codes: 0 done; 2 bad input, or a result that cannot be written (disk full, no permission:
the line names the folder and the reason; nothing half-written is left); 130 interrupted
(a batch keeps its saved runs); 1 anything else, which is a bug.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

import sim
from sim.errors import MISSING, InputError, clip, shown
from sim.outputs.summary import OUTCOMES, SHARE_OUTCOMES, UNDEFINED, is_defined
from sim.validation.experiments import DEFAULT_REPS as VALIDATE_REPS
from sim.validation.experiments import DEFAULT_SEED as VALIDATE_SEED
from sim.validation.experiments import MAX_REPS as VALIDATE_MAX_REPS
from sim.validation.experiments import MIN_REPS as VALIDATE_MIN_REPS
from sim.validation.patterns import PATTERN_FAILED

try:  # typer >= 0.20 carries its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer on top of click
    from click.exceptions import UsageError  # type: ignore[no-redef]

EXIT_CODES = "Exit codes: 0 done, 2 bad input or a result that cannot be written, 130 interrupted."

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="cxsim: customer experience inside a B2B service company.",
    epilog=EXIT_CODES,
)
out = Console()
err = Console(stderr=True)

#: most local worker processes a batch may start
MAX_WORKERS = 1024
#: the outcomes a comparison or a plot may name, as the help lists them
OUTCOME_NAMES = ", ".join(OUTCOMES)
#: a result folder's kind in its ownership marker
BATCH_KIND = "batch"


def _default(text: str) -> str:
    """A default shown in ``--help`` (escaped: Rich would take the brackets for markup)."""
    return f"\\[default: {text}]"


FROM_SCENARIO = _default("the scenario's own")
FROM_SCENARIOS = _default("the scenarios' own")


# Options several commands share (one definition each, so their help reads the same everywhere).
Workers = Annotated[
    int | None,
    typer.Option(help=f"Local worker processes, 1 to {MAX_WORKERS}; 1 runs serially. {_default('all cores')}"),
]
Scheduler = Annotated[str | None, typer.Option(help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786.")]
WorkerTimeout = Annotated[
    float | None,
    typer.Option(help=f"Seconds a Dask batch waits without a live worker before it stops. {_default('180')}"),
]
Yes = Annotated[bool, typer.Option("--yes", help="Run more than 100,000 runs without asking.")]
Progress = Annotated[bool, typer.Option(help="Show a progress bar.")]


def _print_version(value: bool) -> None:
    if value:
        out.print(f"cxsim {sim.__version__}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit()


@app.callback()
def cli(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """cxsim: customer experience inside a B2B service company."""


#: whether this command has already said why it stops (so an interruption is reported once)
_said = False


def error_line(message: str) -> None:
    """``error: <message>`` as exactly one line on stderr (never wrapped, no markup)."""
    say("error: " + " ".join(str(message).splitlines()))


def say(line: str) -> None:
    """One line on stderr, never wrapped, no markup."""
    global _said
    _said = True
    err.print(line, markup=False, highlight=False, soft_wrap=True)


def fail(exc: InputError) -> None:
    """One line on stderr, exit code 2: the contract for every bad input."""
    error_line(str(exc))
    raise typer.Exit(2)


# ----------------------------------------------------------------------------- option checks


def check_workers(workers: int | None) -> None:
    """``--workers``: a positive whole number of local processes, within reason."""
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise InputError("--workers", None, workers, f"allowed: a whole number >= 1 (at most {MAX_WORKERS})")


def check_worker_timeout(seconds: float | None) -> None:
    """``--worker-timeout``: a finite number of seconds > 0."""
    if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
        raise InputError("--worker-timeout", None, seconds, "allowed: a finite number of seconds > 0")


def check_scheduler_text(scheduler: str | None) -> None:
    """``--scheduler``: something that can be an address (whether it answers is checked later)."""
    if scheduler is not None and (not scheduler.strip() or any(c.isspace() for c in scheduler)):
        raise InputError("--scheduler", None, scheduler, "allowed: a scheduler address such as tcp://10.0.0.5:8786")


def check_executor_options(workers: int | None, worker_timeout: float | None, scheduler: str | None) -> None:
    """The options of a command that runs on local processes or a Dask cluster: ``--workers``,
    ``--worker-timeout`` and ``--scheduler``."""
    check_workers(workers)
    check_worker_timeout(worker_timeout)
    check_scheduler_text(scheduler)


def check_outcome(option: str, name: str, allowed: Sequence[str]) -> None:
    """An outcome named on the command line must be one of ``allowed`` (listed in the message)."""
    if name not in allowed:
        raise InputError(option, None, name, f"allowed: {', '.join(allowed)}")


def confirm_size(count: int, limit: int, yes: bool) -> None:
    """Above ``limit`` runs, ask on a terminal; without one, ``--yes`` must have been given."""
    if count <= limit or yes:
        return
    if not sys.stdin.isatty():
        raise InputError("--yes", None, MISSING, f"{count:,} runs exceed {limit:,}; give --yes to run them")
    if not typer.confirm(f"{count:,} runs (more than {limit:,}); start them?", default=False, err=True):
        error_line(f"{count:,} runs not started")
        raise typer.Exit(2)


def check_out_folder(target: Path, kind: str, names: Sequence[str] = ()) -> None:
    """The result folder, before any run: a path cxsim can write, new, empty or its own ``kind`` result."""
    from sim.outputs.folders import check_result_folder

    accept = None
    if kind == BATCH_KIND:
        from sim.experiments.batch import is_batch_folder

        accept = is_batch_folder
    check_result_folder(target, kind, names, "--out", accept_unmarked=accept)


# ----------------------------------------------------------------------------- commands


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file, or the name of a shipped one (baseline).")],
    seed: Annotated[
        int | None, typer.Option(help=f"Seed, 0 to 2**63-1 (overrides the scenario's). {FROM_SCENARIO}")
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(help=f"Weeks to simulate, 1 to 5200 (overrides the scenario's). {FROM_SCENARIO}"),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a scenario value: key.path=value (repeatable).")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Result folder: new, empty, or an earlier run's (only its own files are replaced). "
            + _default("results/<name>/<run id>"),
        ),
    ] = None,
    figures: Annotated[bool, typer.Option(help="Write PNG figures.")] = True,
) -> None:
    """Run one scenario and write time series, summary, manifest and figures."""
    from sim.scenario.loading import load_scenario

    options = {"seed": seed, "steps": steps}
    try:
        sc = load_scenario(scenario, set_ or [], options={k: v for k, v in options.items() if v is not None})
    except InputError as exc:
        fail(exc)
    from sim.outputs.run import check_run_folder, default_out_dir, run_scenario, write_run

    target = out_dir if out_dir is not None else default_out_dir(sc)
    try:
        check_run_folder(target, figures)
    except InputError as exc:
        fail(exc)
    result = run_scenario(sc, source=scenario)
    try:
        write_run(result, target, figures=figures)
    except InputError as exc:
        fail(exc)
    print_summary(result.summary, f"{sc.name} (seed {result.seed}, {sc.steps} weeks)")
    out.print(f"results: {target}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def batch(
    spec: Annotated[str, typer.Argument(help="Experiment spec YAML file, or the name of a shipped one.")],
    workers: Workers = None,
    scheduler: Scheduler = None,
    worker_timeout: WorkerTimeout = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Result folder: new, empty, or this batch's. " + _default("results/<spec name>")),
    ] = None,
    fresh: Annotated[bool, typer.Option(help="Discard the runs saved in the folder and start over.")] = False,
    yes: Yes = False,
    progress: Progress = True,
) -> None:
    """Run an experiment spec (sweep, cases, replications); resumes where a killed batch stopped."""
    try:
        check_executor_options(workers, worker_timeout, scheduler)
    except InputError as exc:
        fail(exc)
    from sim.experiments.batch import run_batch
    from sim.experiments.spec import MAX_RUNS, load_experiment

    def announce(count: int) -> None:
        out.print(f"{count:,} runs in the design", markup=False, highlight=False, soft_wrap=True)
        confirm_size(count, MAX_RUNS, yes)

    try:
        experiment = load_experiment(spec, max_runs=None if yes or sys.stdin.isatty() else MAX_RUNS, on_count=announce)
        target = out_dir if out_dir is not None else Path("results") / experiment.spec.name
        check_out_folder(target, BATCH_KIND)
        extra: dict[str, Any] = {} if worker_timeout is None else {"worker_timeout": worker_timeout}
        report = run_batch(experiment, target, workers, scheduler, fresh=fresh, progress=progress, **extra)
    except InputError as exc:
        fail(exc)
    if report.interrupted:
        say(f"interrupted: saved runs are kept in {target}/parts; run the same command again to resume")
        raise typer.Exit(130)
    out.print(
        f"{report.total} runs ({report.computed} computed now, {report.reused} reused) "
        f"in {report.seconds:.1f} s on {report.executor}; {len(report.failed)} failed",
        markup=False,
    )
    for run_id, error in report.failed[:10]:
        err.print(f"failed {run_id}: {error}", markup=False, highlight=False, soft_wrap=True)
    out.print(f"results: {target}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def sensitivity(
    spec: Annotated[
        str,
        typer.Argument(help="Experiment spec YAML with a sample: section (morris, sobol or fast), or a shipped name."),
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Result folder: new, empty, or this study's. " + _default("results/<spec name>")),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            help=f"Replications per design point, 1 to 100000 (2 or more to measure the noise). {_default('the spec')}"
        ),
    ] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    worker_timeout: WorkerTimeout = None,
    yes: Yes = False,
    progress: Progress = True,
) -> None:
    """Sensitivity analysis (SALib): each outcome's indices next to the replication noise; resumes like a batch."""
    from sim.experiments.sensitivity import check_replications

    try:
        check_executor_options(workers, worker_timeout, scheduler)
        check_replications(replications)
    except InputError as exc:
        fail(exc)
    from sim.experiments.sensitivity import (
        MAIN_INDEX,
        check_sensitivity_folder,
        is_above,
        load_study,
        ranking,
        run_sensitivity,
        short_name,
    )
    from sim.experiments.spec import MAX_RUNS

    def announce(count: int) -> None:
        out.print(f"{count:,} runs in the design", markup=False, highlight=False, soft_wrap=True)
        confirm_size(count, MAX_RUNS, yes)

    target: Path | None = out_dir
    try:
        experiment = load_study(
            spec,
            replications=replications,
            max_runs=None if yes or sys.stdin.isatty() else MAX_RUNS,
            on_count=announce,
        )
        target = out_dir if out_dir is not None else Path("results") / experiment.spec.name
        check_sensitivity_folder(target)
        result = run_sensitivity(
            experiment,
            target,
            replications=replications,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            worker_timeout=worker_timeout,
        )
    except KeyboardInterrupt:
        where = f" in {target}/parts" if target is not None else ""
        say(f"interrupted: saved runs are kept{where}; run the same command again to resume")
        raise typer.Exit(130) from None
    except InputError as exc:
        fail(exc)
    main = MAIN_INDEX[result["method"]]
    counts = result["counts"]
    out.print(
        f"{counts['runs']:,} runs ({counts['computed_now']:,} computed now, {counts['reused_from_earlier']:,} reused) "
        f"for {counts['design_rows']:,} design rows x {result['replications']} replications",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for outcome, noise in result["outcomes"].items():
        if "left_out" in noise:
            out.print(f"{outcome}: left out ({noise['left_out']})", markup=False, highlight=False, soft_wrap=True)
            continue
        top = ranking(result["indices"], outcome, main).head(3)
        text = ", ".join(
            f"{short_name(r.parameter)} {r.value:.3g}{' *' if is_above(r.above_noise) else ''}"
            for r in top.itertuples()
        )
        out.print(f"{outcome} ({main}): {text}", markup=False, highlight=False, soft_wrap=True)
    out.print("* above replication noise", markup=False, highlight=False)
    out.print(
        f"results: {target} (indices.csv, sensitivity.json, sensitivity.md, figures)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def compare(
    scenarios: Annotated[
        list[str], typer.Argument(help="Scenario files (or shipped names); the first is the reference.")
    ],
    reps: Annotated[
        int | None, typer.Option(help=f"Paired replications, 2 to 100000. {_default('30 (without --ci-width)')}")
    ] = None,
    ci_width: Annotated[
        float | None,
        typer.Option(
            help="Add replications until the first metric's 95 % CI half-width is at most this, in the unit the "
            "table shows: percentage points for shares (rates, retention, stale share, handoff loss), "
            "the metric's own unit otherwise (NPS points, weeks, 0-1 scores)."
        ),
    ] = None,
    max_reps: Annotated[int, typer.Option(help="Upper limit of replications with --ci-width, 2 to 100000.")] = 200,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            help=f"KPI to compare (repeatable); allowed: {OUTCOME_NAMES}. {_default('the headline KPIs')}",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Root seed of the paired replications, 0 to 2**63-1.")] = 2026,
    steps: Annotated[
        int | None,
        typer.Option(help=f"Weeks to simulate, 1 to 5200 (overrides the scenarios'). {FROM_SCENARIOS}"),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Result folder: new, empty, or this comparison's. " + _default("results/compare/<names>"),
        ),
    ] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    worker_timeout: WorkerTimeout = None,
    yes: Yes = False,
    progress: Progress = True,
) -> None:
    """Compare scenarios against the first: every KPI's mean difference with a 95 % CI (paired)."""
    from sim.experiments.compare import (
        DEFAULT_METRICS,
        Plan,
        check_compare_folder,
        check_plan,
        comparison_experiment,
        comparison_name,
        diff_text,
        fmt,
        run_comparison,
    )
    from sim.experiments.spec import MAX_RUNS

    metrics = list(metric) if metric else list(DEFAULT_METRICS)
    try:
        if reps is not None and ci_width is not None:
            raise InputError("--reps", None, reps, "give either --reps or --ci-width, not both")
        for name in metrics:
            check_outcome("--metric", name, list(OUTCOMES))
        check_executor_options(workers, worker_timeout, scheduler)
        if len(scenarios) < 2:
            raise InputError(
                "compare", None, scenarios, "give at least two scenario files (the first is the reference)"
            )
        scale = 100.0 if metrics[0] in SHARE_OUTCOMES else 1.0
        plan = Plan(
            reps=30 if reps is None else reps,
            ci_width=None if ci_width is None else ci_width / scale,
            max_reps=max_reps,
        )
        if ci_width is not None and not (math.isfinite(ci_width) and ci_width > 0):
            raise InputError("--ci-width", None, ci_width, "allowed: a finite number > 0")
        check_plan(plan, metrics, seed, steps)
        count = len(scenarios) * (plan.reps if ci_width is None else max_reps)
        confirm_size(count, MAX_RUNS, yes)
        comparison_experiment(scenarios, seed, steps)  # every scenario file valid before any run
        target = out_dir if out_dir is not None else Path("results") / "compare" / comparison_name(scenarios)
        check_compare_folder(target)
        result = run_comparison(
            scenarios,
            target,
            plan,
            metrics,
            seed=seed,
            steps=steps,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            worker_timeout=worker_timeout,
        )
    except KeyboardInterrupt:
        say(f"interrupted: saved runs are kept in {target}/parts; run the same command again to resume")
        raise typer.Exit(130) from None
    except InputError as exc:
        fail(exc)
    base = result["scenarios"][0]
    for other in result["scenarios"][1:]:
        table = Table(title=f"{other} vs {base} ({result['replications']} paired replications)", title_justify="left")
        for col, justify in (("KPI", "left"), (base, "right"), (other, "right"), ("difference ± 95 % CI", "right")):
            table.add_column(col, justify=justify)
        for m, per in result["metrics"].items():
            table.add_row(
                m, fmt(per[base]["mean"], m), fmt(per[other]["mean"], m), diff_text(result["differences"][other][m], m)
            )
        out.print(table)
    out.print(
        "* the 95 % interval excludes zero: the difference is unlikely to be noise. "
        f"pp = percentage points. {UNDEFINED} = undefined in these runs."
    )
    out.print(f"stopped by: {result['stopped_by']}", markup=False, highlight=False, soft_wrap=True)
    out.print(f"results: {target} (compare.json, compare.md, figures)", markup=False, highlight=False, soft_wrap=True)


@app.command()
def plot(
    folder: Annotated[Path, typer.Argument(help="A batch result folder (runs.parquet + manifest.json).")],
    outcome: Annotated[
        str | None,
        typer.Option(
            help=f"Outcome shown in the two-factor heatmaps; allowed: the batch's outcomes ({OUTCOME_NAMES}). "
            + _default("nps"),
            show_default=False,
        ),
    ] = None,
) -> None:
    """Draw a batch's figures: one-factor effects with CI bands, two-factor heatmaps, cases."""
    try:
        kept = check_batch_results(folder)
        if outcome is not None:
            check_outcome("--outcome", outcome, kept)
        written = write_batch_figures(folder, outcome)
    except InputError as exc:
        fail(exc)
    for path in written:
        out.print(str(path), markup=False, highlight=False, soft_wrap=True)


@app.command()
def calibrate(
    spec: Annotated[str, typer.Argument(help="Calibration spec YAML file, or the name of a shipped one.")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Result folder: new, empty, or this calibration's (its saved runs are reused). "
            + _default("results/calibrate/<spec name>"),
        ),
    ] = None,
    workers: Workers = None,
    yes: Yes = False,
    progress: Progress = True,
) -> None:
    """Fit scenario parameters to target outcomes or a KPI history; resumes where a stopped calibration left off."""
    try:
        check_workers(workers)
    except InputError as exc:
        fail(exc)
    from sim.experiments.calibration.report import outcome_text, value_text
    from sim.experiments.calibration.run import check_calibration_folder, default_out_dir, run_calibration
    from sim.experiments.calibration.spec import load_calibration
    from sim.experiments.spec import MAX_RUNS

    target: Path | None = None
    try:
        cal = load_calibration(
            spec,
            max_runs=None if yes or sys.stdin.isatty() else MAX_RUNS,
            on_count=lambda count: confirm_size(count, MAX_RUNS, yes),
        )
        target = out_dir if out_dir is not None else default_out_dir(cal)
        check_calibration_folder(target)
        result = run_calibration(cal, target, workers, progress)
    except KeyboardInterrupt:
        kept = f": the finished runs are kept in {target}/parts; run the same command again to resume" if target else ""
        say(f"interrupted{kept}")
        raise typer.Exit(130) from None
    except InputError as exc:
        fail(exc)
    reps = len(cal.seeds)
    table = Table(title=f"{cal.spec.name}: targets ({reps} replications per candidate)", title_justify="left")
    for col, justify in (
        ("target", "left"),
        ("value", "right"),
        ("fitted mean [95 % CI]", "right"),
        ("reached", "left"),
    ):
        table.add_column(col, justify=justify)
    for row in result.targets:
        name = row["target"]
        if name.startswith("history:"):
            kpi = name.split(":", 1)[1]
            fitted = f"RMSE {outcome_text(row['rmse'], kpi)} (tolerance {outcome_text(row['tolerance'], kpi)})"
            table.add_row(f"{kpi} (history)", f"{row['weeks']} weeks", fitted, "yes" if row["reached"] else "no")
            continue
        interval = (
            f"{outcome_text(row['mean'], name)} [{outcome_text(row['low'], name)}, {outcome_text(row['high'], name)}]"
        )
        table.add_row(name, outcome_text(row["value"], name), interval, "yes" if row["reached"] else "no")
    out.print(table)
    table = Table(title="fitted values", title_justify="left")
    for col in ("parameter", "fitted", "within the noise of the best", "reaching every target"):
        table.add_column(col, overflow="fold")
    for row in result.parameters:
        w = row["whole"]
        ranges = [
            f"{value_text(r[0], w)} - {value_text(r[1], w)}" if r else "none"
            for r in (row["noise_range"], row["reaching_range"])
        ]
        table.add_row(row["parameter"], value_text(row["fitted"], w), *ranges)
    out.print(table)
    out.print(
        f"{len(result.candidates)} candidates ({result.computed} runs computed now, {result.reused} reused) "
        f"in {result.seconds:.1f} s on {result.executor}; stopped: {result.stopped_by}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    out.print(f"results: {target} (fitted.yaml, calibration.md)", markup=False, highlight=False, soft_wrap=True)


@app.command(
    epilog="Exit codes: 0 every pattern passes, 3 a pattern fails (the report is written), 2 bad input, "
    "130 interrupted (the saved runs are kept)."
)
def validate(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Scenario file, or the name of a shipped one, to validate. " + _default("baseline")),
    ] = None,
    reps: Annotated[
        int,
        typer.Option(
            help=f"Replications of each replicated experiment, {VALIDATE_MIN_REPS} to {VALIDATE_MAX_REPS} "
            "(pattern 2's interval needs about 75)."
        ),
    ] = VALIDATE_REPS,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Result folder: new, empty, or an earlier validation's. " + _default("results/validate/<name>"),
        ),
    ] = None,
    workers: Workers = None,
    seed: Annotated[int, typer.Option(help="Root seed of the replications, 0 to 2**63-1.")] = VALIDATE_SEED,
    progress: Progress = True,
) -> None:
    """Check the model against ten published patterns; write report.md with figures and the tables.

    Each pattern passes when the model's estimate lies inside its published band and its 95 % CI
    is no wider than the band (or, for an ordering, the whole CI lies on the stated side).
    """
    from sim.validation.experiments import Plan
    from sim.validation.run import check_validation_folder, default_out_dir, prepare, run_validation

    target: Path | None = out_dir
    try:
        check_workers(workers)
        design, source = prepare(scenario, Plan(reps=reps, seed=seed))
        target = out_dir if out_dir is not None else default_out_dir(design.scenario.name)
        check_validation_folder(target)
        result = run_validation(design, target, source, workers=workers, progress=progress)
    except KeyboardInterrupt:
        where = f" in {target}/parts" if target is not None else ""
        say(f"interrupted: the runs saved so far are kept{where}; run the same command again to resume")
        raise typer.Exit(130) from None
    except InputError as exc:
        fail(exc)
    table = Table(title=f"{design.scenario.name} against ten published patterns", title_justify="left")
    for col in ("#", "pattern", "verdict", "why it fails"):
        table.add_column(col)
    for r in result.results:
        why = "; ".join(
            f"{c.criterion.label}: {c.criterion.show(c.estimate.value)} ({c.reason})"
            for c in r.criteria
            if not c.passed
        )
        table.add_row(str(r.pattern.number), r.pattern.title, "PASS" if r.passed else "FAIL", why)
    out.print(table)
    passed = sum(r.passed for r in result.results)
    out.print(
        f"{passed} of {len(result.results)} patterns pass; {result.computed} runs computed now, "
        f"{result.reused} reused, {len(result.failed)} failed; {result.seconds:.0f} s",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for failure in result.failed[:10]:
        err.print(f"failed {failure['key']}: {failure['error']}", markup=False, highlight=False, soft_wrap=True)
    out.print(f"report: {target / 'report.md'}", markup=False, highlight=False, soft_wrap=True)
    if not result.passed:
        raise typer.Exit(PATTERN_FAILED)


@app.command()
def dashboard(
    scenario: Annotated[
        str,
        typer.Argument(help="Scenario file, or the name of a shipped one, the page opens on. " + _default("baseline")),
    ] = "baseline",
    host: Annotated[str, typer.Option(help="Address to serve on; 127.0.0.1 keeps the page on this machine.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to serve on, 1 to 65535.")] = 8765,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
) -> None:
    """Serve the strategists' page: the model live with its levers, two policies side by side; no internet needed."""
    from sim.scenario.loading import load_scenario
    from sim.scenario.shipped import locate

    try:
        load_scenario(scenario)
        given = locate(scenario, "scenarios")
        source = str(given.resolve()) if given.is_file() and Path(scenario).exists() else scenario
        from sim.dashboard.server import check_port, require_viz, serve, url

        require_viz(source)  # the viz extra may not be installed (make run installs cxsim without it)
        check_port(host, port)
    except InputError as exc:
        fail(exc)

    def ready() -> None:
        out.print(f"cxsim dashboard: {url(host, port)} (Ctrl-C to stop)", markup=False, highlight=False, soft_wrap=True)

    try:
        serve(host, port, source, open_browser=open_browser, on_ready=ready)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


@app.command()
def report(
    folder: Annotated[
        Path,
        typer.Argument(help="A result folder: a run, a batch, a comparison, a sensitivity study or a validation."),
    ],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="The HTML file to write. " + _default("<folder>/report.html")),
    ] = None,
) -> None:
    """Write one self-contained HTML report of a result folder (figures embedded, nothing fetched)."""
    from sim.report.build import write_report

    try:
        written, headline = write_report(folder, out_file)
    except InputError as exc:
        fail(exc)
    if headline:
        out.print(headline, markup=False, highlight=False, soft_wrap=True)
    out.print(f"report: {written}", markup=False, highlight=False, soft_wrap=True)


def check_batch_results(folder: Path) -> list[str]:
    """A batch folder whose manifest and runs table can be read; return the outcomes it kept."""
    from sim.experiments.batch import is_batch_folder

    src = str(folder)
    if not folder.is_dir() or not (folder / "runs.parquet").exists() or not is_batch_folder(folder):
        raise InputError(src, None, MISSING, "not a batch result folder (needs runs.parquet and manifest.json)")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(
            str(folder / "manifest.json"), None, MISSING, "missing or damaged; run the batch again to rewrite it"
        ) from None
    spec = manifest.get("experiment") if isinstance(manifest, dict) else None
    kept = spec.get("outcomes") if isinstance(spec, dict) else None
    if (
        not isinstance(kept, list)
        or not kept
        or not all(isinstance(o, str) for o in kept)
        or not isinstance(spec.get("name"), str)
        or not isinstance(spec.get("grid", {}), dict)
    ):
        raise InputError(
            str(folder / "manifest.json"), "experiment", MISSING, "not a batch manifest; run the batch again"
        )
    try:
        import pyarrow.parquet as pq

        columns = set(pq.read_schema(folder / "runs.parquet").names)
    except Exception:  # pyarrow reports a damaged file in several ways
        raise InputError(
            str(folder / "runs.parquet"), None, MISSING, "damaged (not a Parquet table); run the batch again"
        ) from None
    missing = [c for c in ("run_id", "case", "error", *kept, *spec.get("grid", {})) if c not in columns]
    if missing:
        raise InputError(
            str(folder / "runs.parquet"), None, MISSING, f"lacks the column {missing[0]!r}; run the batch again"
        )
    return kept


def write_batch_figures(folder: Path, outcome: str | None) -> list[Path]:
    """Draw the figures beside the folder, then move them in: never through a link, never half a set."""
    from sim.experiments.batch import folder_lock
    from sim.experiments.figures import batch_figures
    from sim.outputs.folders import check_output_path, clean_stale_temporaries, commit, staging, write_error

    check_output_path(folder, str(folder))
    inputs = ("runs.parquet", "manifest.json")
    try:
        parent = Path(os.path.realpath(folder)).parent
        clean_stale_temporaries(parent)
        with folder_lock(folder), staging(parent, folder.name) as tmp:
            for name in inputs:
                os.symlink(os.path.realpath(folder / name), tmp / name)
            try:
                names = [Path(p).name for p in batch_figures(tmp, outcome)]
            except (KeyError, ValueError, TypeError, IndexError) as exc:
                raise InputError(
                    str(folder / "runs.parquet"), None, MISSING, f"cannot draw its figures ({type(exc).__name__})"
                ) from None
            for name in inputs:
                os.unlink(tmp / name)
            commit(folder, tmp, BATCH_KIND, supersede=())
    except OSError as exc:
        raise write_error(folder, exc) from None
    return [folder / n for n in names]


def print_summary(summary: dict, title: str) -> None:
    """The headline outcomes as a short table (n/a where undefined), then the top reasons of detractors."""
    rows = [
        ("annual churn", _pct(summary["annual_churn_rate"])),
        ("net revenue retention", _pct(summary["net_revenue_retention"])),
        ("NPS (census / surveyed)", f"{_num(summary['nps'], '+.1f')} / {_num(summary['nps_surveyed'], '+.1f')}"),
        ("mean satisfaction", _num(summary["mean_satisfaction"], ".3f")),
        ("mean engagement", _num(summary["mean_engagement"], ".3f")),
        ("information age at touchpoints", _num(summary["mean_info_age_weeks"], ".2f", " weeks")),
        ("touchpoints with stale information", _pct(summary["stale_share"])),
        ("requirements lost at handoff", _pct(summary["handoff_info_loss"])),
        ("failures recovered on the spot", _pct(summary["recovery_rate"])),
        ("employee turnover", _pct(summary["employee_turnover_rate"], " / year")),
    ]
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    why = summary.get("detractor_why", [])[:3]
    if why:
        out.print(
            "top detractor reasons: "
            + "; ".join(f"{w['stage']}/{w['channel']}: {w['cause'].replace('_', ' ')} ({w['share']:.0%})" for w in why),
            markup=False,
            highlight=False,
        )


def _num(x: float | None, spec: str, unit: str = "") -> str:
    return f"{float(x):{spec}}{unit}" if is_defined(x) else UNDEFINED  # type: ignore[arg-type]


def _pct(x: float | None, unit: str = "") -> str:
    return f"{100 * float(x):.1f} %{unit}" if is_defined(x) else UNDEFINED  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point. Usage errors (unknown option, a value of the wrong type) also end in one line and exit 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=args, standalone_mode=False)
    except InputError as exc:  # raised outside a command's own handling
        error_line(str(exc))
        sys.exit(2)
    except UsageError as exc:
        if type(exc).__name__ != "NoArgsIsHelpError":  # a bare command has printed its help already
            error_line(_usage_message(exc, args))
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        code = 130
    if code == 130 and not _said:
        say("interrupted")
    sys.exit(code if isinstance(code, int) else 0)


def _usage_message(exc: UsageError, args: list[str]) -> str:
    """``--seed = 'abc': <what is wrong>`` for a bad option value, click's own message otherwise."""
    opts = [o for o in getattr(getattr(exc, "param", None), "opts", None) or [] if o.startswith("-")]
    message = exc.format_message()
    if opts:
        value = _option_value(args, opts)
        message = f"{opts[0]}{'' if value is None else f' = {shown(value)}'}: {clip(exc.message)}"
    else:
        message = clip(message)
    ctx = getattr(exc, "ctx", None)
    return f"{message} (see '{ctx.command_path} --help')" if ctx is not None else message


def _option_value(args: list[str], opts: list[str]) -> str | None:
    """The text given to an option on the command line (the last occurrence), if any."""
    value = None
    for i, arg in enumerate(args):
        if arg in opts and i + 1 < len(args):
            value = args[i + 1]
        for opt in opts:
            if arg.startswith(opt + "="):
                value = arg[len(opt) + 1 :]
    return value


if __name__ == "__main__":
    main()
