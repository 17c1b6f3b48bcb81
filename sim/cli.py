"""The ``cxsim`` command: thin faces on the same functions a notebook calls."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sim.errors import InputError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="cxsim: customer experience inside a B2B service company."
)
out = Console()
err = Console(stderr=True)


@app.callback()
def cli() -> None:
    """cxsim: customer experience inside a B2B service company."""


def fail(exc: InputError) -> None:
    """One line on stderr, exit code 2: the contract for every bad input."""
    err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


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
    from sim.run import default_out_dir, run_scenario, write_run
    from sim.scenario import load_scenario

    options = {"seed": seed, "steps": steps}
    try:
        sc = load_scenario(scenario, set_ or [], options={k: v for k, v in options.items() if v is not None})
    except InputError as exc:
        fail(exc)
    result = run_scenario(sc, source=scenario)
    target = out_dir if out_dir is not None else default_out_dir(result)
    write_run(result, target, figures=figures)
    print_summary(result.summary, f"{sc.name} (seed {result.seed}, {sc.steps} weeks)")
    out.print(f"results: {target}")


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


def main() -> None:
    try:
        app()
    except InputError as exc:  # raised outside a command's own handling
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
