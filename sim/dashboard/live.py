"""The live page: SolaraViz over the model, its levers in the sidebar, its KPIs as charts and tables.

SolaraViz brings Reset, ▶ and Step; each component below is a function of the model that
SolaraViz redraws after a step. They share one time series per step (:func:`series`), so a
step of the default company costs one table and a handful of small chart specifications.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pandas as pd
import solara
import solara.widgets

from sim.dashboard import charts
from sim.dashboard.controls import DashboardModel, model_params
from sim.model.cxmodel import CXModel
from sim.scenario.schema import Scenario

#: how many of the detractors' reasons the WHY table lists
WHY_ROWS = 8
#: per model, the step its time series was taken at and the series (one table per step, not per chart)
_SERIES: dict[int, tuple[int, pd.DataFrame]] = {}


def series(model: CXModel) -> pd.DataFrame:
    """The model's KPI record so far, taken once per step and shared by every chart."""
    held = _SERIES.get(id(model))
    if held is None or held[0] != model.steps:
        if len(_SERIES) > 64:  # models of closed sessions and earlier resets
            _SERIES.clear()
        held = (model.steps, model.timeseries())
        _SERIES[id(model)] = held
    return held[1]


def chart(build: Callable[..., dict[str, Any]]) -> Callable[[CXModel], Any]:
    """A SolaraViz component drawing ``build(time series, warm-up, horizon)`` in the browser."""

    def component(model: CXModel) -> Any:
        return chart_card(build.__name__, build(series(model), model.config.warmup, model.config.steps))

    component.__name__ = build.__name__
    return component


def chart_card(name: str, spec: dict[str, Any]) -> Any:
    """A chart in a box the page (and a browser test) can find by its name: ``cx-chart-<name>``."""
    return solara.Div(classes=["cx-chart", f"cx-chart-{name}"], children=[solara.widgets.VegaLite.element(spec=spec)])


def funnel(model: CXModel) -> Any:
    """The journey as a funnel of accounts by stage."""
    return chart_card("journey_funnel", charts.journey_funnel(series(model)))


def headline_numbers(model: CXModel) -> list[tuple[str, str]]:
    """The week's headline KPIs as (name, text): what a strategist glances at after a step."""
    ts = series(model)
    if not len(ts):
        return [("week", "0 of " + str(model.config.steps)), ("status", "press Step or ▶ to run the company")]
    last = ts.iloc[-1]
    churn = charts.annualised_churn(ts).iloc[-1]
    return [
        ("week", f"{int(last['step'])} of {model.config.steps}"),
        ("customers", f"{int(last['customers']):,}"),
        ("NPS", f"{last['nps']:+.1f}"),
        ("annual churn", f"{churn:.1f} %" if pd.notna(churn) else "n/a"),
        ("satisfaction", f"{last['satisfaction']:.3f}"),
        ("engagement", f"{last['engagement']:.3f}"),
        ("profit this week", f"€{last['profit'] / 1e3:,.0f} k"),
    ]


def kpi_strip(model: CXModel) -> Any:
    """The headline KPIs of the newest week as a row of figures."""
    cells = "".join(
        f'<div class="cx-kpi"><div class="cx-kpi-name">{html.escape(n)}</div>'
        f'<div class="cx-kpi-value">{html.escape(v)}</div></div>'
        for n, v in headline_numbers(model)
    )
    style = (
        "<style>.cx-kpis{display:flex;flex-wrap:wrap;gap:18px;padding:6px}"
        ".cx-kpi-name{font-size:12px;color:#666}.cx-kpi-value{font-size:20px;font-weight:600}</style>"
    )
    return solara.HTML(tag="div", unsafe_innerHTML=f'{style}<div class="cx-kpis" id="cx-kpis">{cells}</div>')


def why_rows(model: CXModel, limit: int = WHY_ROWS) -> pd.DataFrame:
    """The detractors' most frequent reasons so far: stage, channel, cause, answers, share."""
    table = model.why_table().head(limit)
    for col in ("stage", "channel", "cause"):
        table[col] = [str(x).replace("_", " ") for x in table[col]]
    return table


def why_table(model: CXModel) -> Any:
    """Why detractors say they would not recommend the company (the survey's WHY question)."""
    table = why_rows(model)
    if not len(table):
        body = '<tr><td colspan="5">no detractor has answered WHY yet (the warm-up is not counted)</td></tr>'
    else:
        body = "".join(
            f"<tr><td>{html.escape(r.stage)}</td><td>{html.escape(r.channel)}</td><td>{html.escape(r.cause)}</td>"
            f'<td style="text-align:right">{r.count:,}</td><td style="text-align:right">{r.share:.0%}</td></tr>'
            for r in table.itertuples()
        )
    head = "".join(f"<th>{h}</th>" for h in ("stage", "channel", "cause", "answers", "share"))
    return solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            '<div style="font-size:13px;font-weight:600;margin:4px 0">Why detractors would not recommend us</div>'
            '<table id="cx-why" style="border-collapse:collapse;font-size:12px;width:100%">'
            f'<thead style="text-align:left">{head}</thead><tbody>{body}</tbody></table>'
        ),
    )


#: the page's components, in the order the grid shows them (two a row)
COMPONENTS: list[Callable[[CXModel], Any]] = [
    kpi_strip,
    funnel,
    chart(charts.satisfaction_by_stage),
    chart(charts.nps),
    chart(charts.churn),
    chart(charts.profit),
    chart(charts.engagement_by_unit),
    chart(charts.information_age),
    why_table,
]


def new_model(scenario: Scenario) -> DashboardModel:
    """The company the page opens on: the scenario at its own seed, the levers at its values."""
    return DashboardModel(scenario, rng=scenario.seed, collect=False)


@solara.component
def LivePage(model: solara.Reactive[CXModel], scenario: Scenario) -> None:
    """SolaraViz over the session's model, the levers built from ``scenario``."""
    from mesa.visualization import SolaraViz

    SolaraViz(
        model,
        components=[(c, 0) for c in COMPONENTS],
        model_params=model_params(scenario),
        name=f"cxsim · {scenario.name}",
        play_interval=150,
    )
