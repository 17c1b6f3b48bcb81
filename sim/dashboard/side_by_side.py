"""The side-by-side page: two policy settings, run on the same seeds, and what the second is worth.

The strategist sets up two policies (a scenario and a few levers each), the replications, the
horizon and a root seed, and presses Run. The page then states the headline in words, draws each
KPI over time for both (means with 95 % bands) and the paired difference with its band, and
lists every compared outcome as ``cxsim compare`` does.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd
import solara
import solara.lab
import solara.widgets

from sim.dashboard.charts import frame
from sim.dashboard.controls import SWITCHES
from sim.dashboard.pairing import MAX_REPS, MAX_STEPS, WEEKLY, PairResult, Policy, run_pair
from sim.errors import InputError
from sim.experiments.compare import diff_text, fmt
from sim.scenario.loading import load_scenario
from sim.scenario.ranges import parameter_range
from sim.scenario.schema import Scenario
from sim.scenario.shipped import shipped_names

#: the switches a side-by-side policy shows (the rest stay as the scenario sets them)
POLICY_SWITCHES = (
    "transfer_meeting",
    "user_stories",
    "shared_customer_record",
    "empowerment",
    "licence_to_sell",
    "licence_to_deliver",
    "cx_incentives",
    "recruit_for_attitude",
)
#: the replications a page run starts with: enough for an interval, quick on two cores
DEFAULT_REPS = 5
COLOURS = ("#4c78a8", "#f58518")


@dataclass(frozen=True)
class Choice:
    """A scenario a policy may start from: where it is read from, and what it says."""

    source: str
    scenario: Scenario


def scenario_choices(scenario: Scenario, source: str) -> dict[str, Choice]:
    """The page's own scenario first, then every shipped one (by name)."""
    choices = {scenario.name: Choice(source, scenario)}
    for name in shipped_names("scenarios"):
        if name not in choices:
            try:
                choices[name] = Choice(name, load_scenario(name))
            except InputError:  # a damaged file is left out of the list, not a broken page
                continue
    return choices


def check_settings(reps: int, weeks: int, seed: int) -> None:
    """Refuse (ValueError, in words) settings the runs cannot take."""
    if not 2 <= reps <= MAX_REPS:
        raise ValueError(f"replications: give a whole number from 2 to {MAX_REPS} (an interval needs two)")
    if not 1 <= weeks <= MAX_STEPS:
        raise ValueError(f"weeks: give a whole number from 1 to {MAX_STEPS}")
    if not 0 <= seed < 2**63:
        raise ValueError("root seed: give a whole number from 0 to 2**63 - 1")


def second_policy_default(scenario: Scenario) -> dict[str, Any]:
    """The second policy starts as the first plus the transfer meeting and user stories (if not on yet)."""
    pol = scenario.policies
    if not (pol.transfer_meeting and pol.user_stories):
        return {"transfer_meeting": True, "user_stories": True}
    return {"shared_customer_record": not pol.shared_customer_record}


def policy_levers(scenario: Scenario, switches: dict[str, bool], commitment: float) -> dict[str, Any]:
    """The levers that differ from the scenario's own (what the policy changes)."""
    levers: dict[str, Any] = {k: v for k, v in switches.items() if bool(getattr(scenario.policies, k)) != v}
    if abs(commitment - scenario.organization.executive.cx_commitment) > 1e-9:
        levers["cx_commitment"] = commitment
    return levers


@solara.component
def PolicyCard(
    title: str,
    colour: str,
    choices: dict[str, Choice],
    source: solara.Reactive[str],
    switches: solara.Reactive[dict[str, bool]],
    commitment: solara.Reactive[float],
) -> None:
    """One policy's settings: its scenario, the switches, top management's commitment."""
    scenario = choices[source.value].scenario
    low, high = parameter_range("organization.executive.cx_commitment", scenario).plausible

    def pick(name: str) -> None:
        source.set(name)
        chosen = choices[name].scenario
        switches.set({k: bool(getattr(chosen.policies, k)) for k in POLICY_SWITCHES})
        commitment.set(chosen.organization.executive.cx_commitment)

    with solara.Card(title, style={"border-top": f"4px solid {colour}"}):
        solara.Select("Scenario", value=source.value, values=list(choices), on_value=pick)
        with solara.Columns([1, 1]):
            for half in (POLICY_SWITCHES[::2], POLICY_SWITCHES[1::2]):
                with solara.Column(gap="0px"):
                    for key in half:
                        solara.Checkbox(
                            label=SWITCHES[key],
                            value=switches.value.get(key, False),
                            on_value=lambda on, key=key: switches.set({**switches.value, key: on}),
                            style="margin-top: 0px; height: 30px",
                        )
        solara.SliderFloat("CX commitment (top)", value=commitment, min=low, max=high, step=0.05, thumb_label=True)


def band_chart(result: PairResult, kpi: str) -> dict[str, Any]:
    """Both policies' weekly means of a KPI with their 95 % bands."""
    rows = result.weekly[result.weekly["kpi"] == kpi]
    values = [
        {"week": int(r.step), "policy": r.policy, "mean": _num(r.mean), "low": _num(r.low), "high": _num(r.high)}
        for r in rows.itertuples()
    ]
    colour = {
        "field": "policy",
        "type": "nominal",
        "title": None,
        "scale": {"domain": list(result.labels), "range": list(COLOURS)},
        "legend": {"orient": "bottom", "labelLimit": 400},
    }
    x = {"field": "week", "type": "quantitative", "title": "week"}
    layers = [
        {
            "mark": {"type": "area", "opacity": 0.2},
            "encoding": {
                "x": x,
                "y": {"field": "low", "type": "quantitative"},
                "y2": {"field": "high"},
                "color": colour,
            },
        },
        {
            "mark": {"type": "line", "strokeWidth": 1.6},
            "encoding": {"x": x, "y": {"field": "mean", "type": "quantitative", "title": WEEKLY[kpi]}, "color": colour},
        },
    ]
    return frame(f"{WEEKLY[kpi]}: both policies", {"data": {"values": values}, "layer": layers})


def difference_chart(result: PairResult, kpi: str) -> dict[str, Any]:
    """The paired difference (second − first) of a KPI week by week, with its 95 % band."""
    rows = result.difference[result.difference["kpi"] == kpi]
    values = [
        {"week": int(r.step), "mean": _num(r.mean), "low": _num(r.low), "high": _num(r.high)} for r in rows.itertuples()
    ]
    x = {"field": "week", "type": "quantitative", "title": "week"}
    layers = [
        {
            "mark": {"type": "area", "opacity": 0.25, "color": COLOURS[1]},
            "encoding": {"x": x, "y": {"field": "low", "type": "quantitative"}, "y2": {"field": "high"}},
        },
        {
            "mark": {"type": "line", "strokeWidth": 1.6, "color": COLOURS[1]},
            "encoding": {"x": x, "y": {"field": "mean", "type": "quantitative", "title": "second − first"}},
        },
        {
            "data": {"values": [{"zero": 0}]},
            "mark": {"type": "rule", "color": "#999999"},
            "encoding": {"y": {"field": "zero", "type": "quantitative"}},
        },
    ]
    return frame(f"{WEEKLY[kpi]}: difference with 95 % band", {"data": {"values": values}, "layer": layers})


def _num(x: float) -> float | None:
    return None if pd.isna(x) else float(x)


def outcome_table(result: PairResult) -> str:
    """Every compared outcome: both means and the difference ± 95 % CI, as ``cxsim compare`` prints them."""
    a, b = result.labels
    comparison = result.comparison
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ("outcome", "first", "second", "difference ± 95 % CI"))
    body = "".join(
        f"<tr><td>{html.escape(m.replace('_', ' '))}</td><td>{fmt(per[a]['mean'], m)}</td>"
        f"<td>{fmt(per[b]['mean'], m)}</td><td>{html.escape(diff_text(comparison['differences'][b][m], m))}</td></tr>"
        for m, per in comparison["metrics"].items()
    )
    return (
        '<table id="cx-outcomes" style="border-collapse:collapse;font-size:12px">'
        f"<thead style='text-align:left'>{head}</thead><tbody>{body}</tbody></table>"
        "<div style='font-size:11px;color:#666'>* the 95 % interval excludes zero. pp = percentage points.</div>"
    )


@solara.component
def Results(result: PairResult) -> None:
    """The headline, the charts and the table of a finished side-by-side run."""
    roi = result.comparison["roi"].get(result.labels[1])
    payback = result.comparison["payback_week"].get(result.labels[1])
    extra = []
    if roi is not None:
        extra.append(f"return on the extra cost {roi:+.2f}")
    extra.append(f"payback in week {payback}" if payback is not None else "no payback within the horizon")
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f'<div id="cx-headline" style="font-size:17px;font-weight:600;margin:8px 0">'
            f"{html.escape(result.headline())}</div>"
            f"<div style='font-size:13px;color:#444'>Against {html.escape(result.labels[0])}; "
            f"{html.escape('; '.join(extra))}. Root seed {result.comparison['seed']}: replication k of both "
            "policies runs with the seed <code>cxsim compare</code> gives replication k.</div>"
        ),
    )
    for kpi in WEEKLY:
        with solara.Columns([1, 1]):
            solara.widgets.VegaLite.element(spec=band_chart(result, kpi))
            solara.widgets.VegaLite.element(spec=difference_chart(result, kpi))
    solara.HTML(tag="div", unsafe_innerHTML=outcome_table(result))


@solara.component
def SideBySidePage(scenario: Scenario, source: str) -> None:
    """Two policies, the same seeds, the difference with its band and the headline in words."""
    choices = solara.use_memo(lambda: scenario_choices(scenario, source), [source])
    first_source = solara.use_reactive(scenario.name)
    second_source = solara.use_reactive(scenario.name)
    first_switches = solara.use_reactive({k: bool(getattr(scenario.policies, k)) for k in POLICY_SWITCHES})
    second_switches = solara.use_reactive(
        {k: bool(getattr(scenario.policies, k)) for k in POLICY_SWITCHES} | second_policy_default(scenario)
    )
    commitment = scenario.organization.executive.cx_commitment
    first_commitment = solara.use_reactive(commitment)
    second_commitment = solara.use_reactive(commitment)
    reps = solara.use_reactive(DEFAULT_REPS)
    weeks = solara.use_reactive(scenario.steps)
    seed = solara.use_reactive(2026)
    progress = solara.use_reactive(0.0)
    problem = solara.use_reactive("")

    def policy(src: str, switches: dict[str, bool], level: float) -> Policy:
        return Policy(choices[src].source, policy_levers(choices[src].scenario, switches, level))

    def run_both() -> PairResult | None:
        problem.set("")
        progress.set(0.0)
        try:
            check_settings(reps.value, weeks.value, seed.value)
            return run_pair(
                policy(first_source.value, first_switches.value, first_commitment.value),
                policy(second_source.value, second_switches.value, second_commitment.value),
                reps=reps.value,
                seed=seed.value,
                steps=weeks.value,
                on_progress=lambda done, total: progress.set(done / total),
            )
        except (InputError, ValueError) as exc:
            problem.set(str(exc))
            return None

    compute = solara.lab.use_task(run_both, dependencies=None, prefer_threaded=True, raise_error=False)

    solara.Title("cxsim · side by side")
    with solara.Column(style={"padding": "12px", "max-width": "1400px"}):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                "<h2 style='margin:0'>Side by side: what is the second policy worth?</h2>"
                "<p style='margin:4px 0 0'>Both policies run on the same seeds, so the noise they share cancels "
                "in the difference. Bands are 95 % confidence intervals over the replications.</p>"
            ),
        )
        with solara.Row(style={"align-items": "center", "gap": "16px"}):
            solara.InputInt(f"Replications (2 to {MAX_REPS})", value=reps, continuous_update=True)
            solara.InputInt(f"Weeks (up to {MAX_STEPS})", value=weeks, continuous_update=True)
            solara.InputInt("Root seed", value=seed, continuous_update=True)
            solara.Button("Run both policies", color="primary", on_click=compute, disabled=compute.pending)
        with solara.Columns([1, 1]):
            PolicyCard(
                "First policy (the reference)", COLOURS[0], choices, first_source, first_switches, first_commitment
            )
            PolicyCard("Second policy", COLOURS[1], choices, second_source, second_switches, second_commitment)
        if compute.pending:
            solara.ProgressLinear(value=100 * progress.value)
            solara.Text(f"running… {progress.value:.0%}")
        if problem.value:
            solara.Error(problem.value)
        if compute.finished and compute.value is not None:
            Results(compute.value)
        elif compute.error:
            solara.Error(f"the runs failed: {compute.exception}")
