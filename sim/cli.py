"""The ``cxsim`` command: thin faces on the same functions a notebook calls."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sim.errors import MISSING, InputError

try:  # typer >= 0.20 carries its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer on top of click
    from click.exceptions import UsageError  # type: ignore[no-redef]

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="cxsim: customer experience inside a B2B service company."
)
out = Console()
err = Console(stderr=True)


@app.callback()
def cli() -> None:
    """cxsim: customer experience inside a B2B service company."""


def error_line(message: str) -> None:
    """``error: <message>`` as exactly one line on stderr (never wrapped, no markup)."""
    err.print("error: " + " ".join(str(message).splitlines()), markup=False, highlight=False, soft_wrap=True)


def fail(exc: InputError) -> None:
    """One line on stderr, exit code 2: the contract for every bad input."""
    error_line(str(exc))
    raise typer.Exit(2)


#: the manifest key that marks a folder as a batch's (or a single run's) own
BATCH_KEY, RUN_KEY = "experiment", "run_id"


def is_cxsim_folder(folder: Path, key: str) -> bool:
    """A folder cxsim wrote: its manifest has ``key``, or (a batch) it holds saved runs to resume."""
    if key == BATCH_KEY and (folder / "parts" / "outputs.json").is_file():
        return True
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and key in manifest


def check_out_dir(path: Path, key: str = RUN_KEY) -> None:
    """``--out`` must name a new folder, an empty one, or an earlier cxsim result of the same kind."""
    target = path.resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise InputError("--out", None, str(path), "the current folder or one above it; name a new folder")
    if target.exists():
        if not target.is_dir():
            raise InputError("--out", None, str(path), "a file is in the way; name a folder")
        if any(target.iterdir()) and not is_cxsim_folder(target, key):
            raise InputError(
                "--out",
                None,
                str(path),
                "a folder that is not a cxsim result (it would be replaced); name a new folder",
            )
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError("--out", None, str(path), f"{parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError("--out", None, str(path), f"no permission to write in {parent}")


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file.")],
    seed: Annotated[int | None, typer.Option(help="Seed (overrides the scenario's).")] = None,
    steps: Annotated[int | None, typer.Option(help="Weeks to simulate (overrides the scenario's).")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a scenario value: key.path=value (repeatable).")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Result folder [results/<name>/<run id>].")] = None,
    figures: Annotated[bool, typer.Option(help="Write PNG figures.")] = True,
) -> None:
    """Run one scenario and write time series, summary, manifest and figures."""
    from sim.scenario.loading import load_scenario

    options = {"seed": seed, "steps": steps}
    try:
        sc = load_scenario(scenario, set_ or [], options={k: v for k, v in options.items() if v is not None})
        if out_dir is not None:
            check_out_dir(out_dir)
    except InputError as exc:
        fail(exc)
    from sim.outputs.run import default_out_dir, run_scenario, write_run  # heavy imports only once the input is valid

    result = run_scenario(sc, source=scenario)
    target = out_dir if out_dir is not None else default_out_dir(result)
    write_run(result, target, figures=figures)
    print_summary(result.summary, f"{sc.name} (seed {result.seed}, {sc.steps} weeks)")
    out.print(f"results: {target}")


@app.command()
def batch(
    spec: Annotated[str, typer.Argument(help="Experiment spec YAML file.")],
    workers: Annotated[int | None, typer.Option(help="Local worker processes [all cores]; 1 runs serially.")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786.")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Result folder [results/<spec name>].")] = None,
    fresh: Annotated[bool, typer.Option(help="Discard saved runs in the folder and start over.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run an experiment spec (sweep, cases, replications); resumes where a killed batch stopped."""
    from sim.experiments.batch import run_batch
    from sim.experiments.spec import load_experiment

    if workers is not None and workers < 1:
        fail(InputError("--workers", None, workers, "allowed: a whole number >= 1"))
    try:
        experiment = load_experiment(spec)
        target = out_dir if out_dir is not None else Path("results") / experiment.spec.name
        check_out_dir(target, BATCH_KEY)
        report = run_batch(experiment, target, workers, scheduler, fresh=fresh, progress=progress)
    except InputError as exc:
        fail(exc)
    if report.interrupted:
        err.print(f"interrupted: saved runs are kept in {target}/parts; run the same command again to resume")
        raise typer.Exit(130)
    out.print(
        f"{report.total} runs ({report.computed} computed now, {report.reused} reused) "
        f"in {report.seconds:.1f} s on {report.executor}; {len(report.failed)} failed"
    )
    for run_id, error in report.failed[:10]:
        err.print(f"failed {run_id}: {error}", markup=False)
    out.print(f"results: {target}")


@app.command()
def compare(
    scenarios: Annotated[list[str], typer.Argument(help="Scenario files; the first is the reference.")],
    reps: Annotated[int | None, typer.Option(help="Paired replications [30].")] = None,
    ci_width: Annotated[
        float | None, typer.Option(help="Add replications until the first metric's CI half-width is below this.")
    ] = None,
    max_reps: Annotated[int, typer.Option(help="Upper limit of replications with --ci-width.")] = 200,
    metric: Annotated[list[str] | None, typer.Option(help="KPI to compare (repeatable) [all headline KPIs].")] = None,
    seed: Annotated[int, typer.Option(help="Root seed of the paired replications.")] = 2026,
    steps: Annotated[int | None, typer.Option(help="Weeks to simulate (overrides the scenarios').")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Result folder [results/compare/<names>].")] = None,
    workers: Annotated[int | None, typer.Option(help="Local worker processes [all cores].")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler.")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Compare scenarios against the first: every KPI's mean difference with a 95 % CI (paired)."""
    from sim.experiments.compare import Plan, diff_text, fmt, run_comparison

    if reps is not None and ci_width is not None:
        fail(InputError("--reps", None, reps, "give either --reps or --ci-width, not both"))
    if reps is not None and reps < 2:
        fail(InputError("--reps", None, reps, "allowed: a whole number >= 2 (a CI needs two replications)"))
    if ci_width is not None and ci_width <= 0:
        fail(InputError("--ci-width", None, ci_width, "allowed: a number > 0"))
    if max_reps < 2:
        fail(InputError("--max-reps", None, max_reps, "allowed: a whole number >= 2"))
    plan = Plan(reps=reps or 30, ci_width=ci_width, max_reps=max_reps)
    names = "_vs_".join(Path(s).stem for s in scenarios)[:120]
    target = out_dir if out_dir is not None else Path("results") / "compare" / names
    try:
        check_out_dir(target, BATCH_KEY)
        result = run_comparison(
            scenarios,
            target,
            plan,
            metric,
            seed=seed,
            steps=steps,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )
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
    out.print("* the 95 % interval excludes zero: the difference is unlikely to be noise. pp = percentage points.")
    out.print(f"stopped by: {result['stopped_by']}")
    out.print(f"results: {target} (compare.json, compare.md, figures)")


@app.command()
def plot(
    folder: Annotated[Path, typer.Argument(help="A batch result folder (runs.parquet + manifest.json).")],
    outcome: Annotated[str | None, typer.Option(help="Outcome shown in the two-factor heatmaps [nps].")] = None,
) -> None:
    """Draw a batch's figures: one-factor effects with CI bands, two-factor heatmaps, cases."""
    from sim.experiments.figures import batch_figures
    from sim.outputs.summary import OUTCOMES

    if not (folder / "runs.parquet").is_file() or not is_cxsim_folder(folder, BATCH_KEY):
        fail(InputError(str(folder), None, MISSING, "not a batch result folder (needs runs.parquet and manifest.json)"))
    kept = (
        json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get(BATCH_KEY, {}).get("outcomes", OUTCOMES)
    )
    if outcome is not None and outcome not in kept:
        fail(InputError("--outcome", None, outcome, f"allowed (kept by this batch): {', '.join(kept)}"))
    for path in batch_figures(folder, outcome):
        out.print(str(path))


def print_summary(summary: dict, title: str) -> None:
    """The headline outcomes as a short table, then the top reasons of detractors."""
    rows = [
        ("annual churn", _pct(summary["annual_churn_rate"])),
        ("net revenue retention", _pct(summary["net_revenue_retention"])),
        ("NPS (census / surveyed)", f"{summary['nps']:+.1f} / {summary['nps_surveyed']:+.1f}"),
        ("mean satisfaction", f"{summary['mean_satisfaction']:.3f}"),
        ("mean engagement", f"{summary['mean_engagement']:.3f}"),
        ("information age at touchpoints", f"{summary['mean_info_age_weeks']:.2f} weeks"),
        ("touchpoints with stale information", _pct(summary["stale_share"])),
        ("handoff information loss", _pct(summary["handoff_info_loss"])),
        ("failures recovered on the spot", _pct(summary["recovery_rate"])),
        ("employee turnover", _pct(summary["employee_turnover_rate"]) + " / year"),
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
            + "; ".join(f"{w['stage']}/{w['channel']}: {w['cause'].replace('_', ' ')} ({w['share']:.0%})" for w in why)
        )


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


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
    except typer.Abort:
        error_line("aborted")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_message(exc: UsageError, args: list[str]) -> str:
    """``--seed = 'abc': <what is wrong>`` for a bad option value, click's own message otherwise."""
    opts = [o for o in getattr(getattr(exc, "param", None), "opts", None) or [] if o.startswith("-")]
    message = exc.format_message()
    if opts:
        value = _option_value(args, opts)
        message = f"{opts[0]}{'' if value is None else f' = {value!r}'}: {exc.message}"
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
