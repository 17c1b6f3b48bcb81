"""The strategists' page without a browser: its controls span the plausible ranges, the page builds
with ``solara.render``, a step changes what it shows, Reset applies the controls, the side-by-side
view runs two policies on the seeds ``cxsim compare`` uses and states the headline from the numbers,
and ``cxsim dashboard`` says in one line when its port is taken.
"""

from __future__ import annotations

import socket
import sys
import time

import ipyvuetify as v
import numpy as np
import pytest
import solara
import solara.widgets
from conftest import call, one_line_error, small_scenario, write_small_scenario

from sim.dashboard import charts
from sim.dashboard.controls import OWN_LEADERSHIP, DashboardModel, model_params, seed_value
from sim.dashboard.live import LivePage, headline_numbers, new_model, series
from sim.dashboard.pairing import Policy, run_pair
from sim.dashboard.server import ASSETS, check_port, offline_environment
from sim.dashboard.side_by_side import SideBySidePage
from sim.errors import InputError
from sim.experiments.headline import effect_phrase, headline, money
from sim.experiments.spec import replication_seeds
from sim.model import CXModel
from sim.outputs.summary import summarise
from sim.scenario.ranges import plausible_range

SMALL = small_scenario(steps=30, warmup=4)


# ----------------------------------------------------------------------------- controls


def test_sliders_span_the_plausible_range_and_start_at_the_scenarios_value():
    params = model_params(SMALL)
    ties = params["cross_unit_ties"]
    assert (ties["min"], ties["max"]) == plausible_range("organization.cross_unit_ties", SMALL)
    assert ties["value"] == SMALL.organization.cross_unit_ties
    staff = params["delivery_employees"]
    assert staff["type"] == "SliderInt" and staff["value"] == 12
    assert (staff["min"], staff["max"]) == plausible_range("organization.units.delivery.employees", SMALL)
    assert params["transfer_meeting"] == {"type": "Checkbox", "value": False, "label": "Transfer meeting at handoff"}
    assert params["sales_leader"]["value"] == "transformational"
    assert params["config"] is SMALL and params["rng"]["value"] == str(SMALL.seed)
    levers = {
        "cx_commitment", "licence_to_sell", "licence_to_deliver", "empowerment", "transfer_meeting", "user_stories",
        "shared_customer_record", "cross_unit_ties", "meeting_every_weeks", "survey_coverage", "ask_why",
        "feedback_delay_weeks", "cx_incentives", "recruit_for_attitude", "sales_employees", "delivery_employees",
        "support_employees", "sales_leader", "delivery_leader", "support_leader", "rng",
    }  # fmt: skip
    assert levers <= params.keys()


def test_a_unit_leader_style_and_a_typed_seed_reach_the_model():
    model = DashboardModel(SMALL, rng="7", delivery_leader="servant", transfer_meeting=True)
    units = model.config.organization.units
    assert model.seed == 7
    assert units.delivery.leader.style == "servant" and units.delivery.leader_mix is None
    assert units.sales.leader.style == "transformational"  # untouched
    assert model.config.policies.transfer_meeting is True
    same = DashboardModel(SMALL, rng=7, delivery_leader=OWN_LEADERSHIP)
    assert same.config.organization.units.delivery.leader.style == SMALL.organization.units.delivery.leader.style
    with pytest.raises(ValueError, match="whole number"):
        seed_value("seven")


def test_charts_follow_the_record():
    model = new_model(SMALL)
    for _ in range(10):
        model.step()
    ts = series(model)
    assert len(ts) == 10
    funnel = dict(charts.funnel_counts(ts))
    acc = model.accounts
    assert funnel["in maintenance"] == int(np.count_nonzero(acc.stage[: acc.n] == 3))
    nps = charts.nps(ts, SMALL.warmup, SMALL.steps)
    line = nps["layer"][-1]
    assert [r["value"] for r in line["data"]["values"] if r["series"] == "all customers"] == pytest.approx(
        ts["nps"].tolist()
    )
    assert line["encoding"]["x"]["scale"]["domain"] == [0, SMALL.steps]
    churn = charts.annualised_churn(ts)
    window = ts.tail(charts.CHURN_WINDOW)
    assert churn.iloc[-1] == pytest.approx(
        100 * window["churned"].sum() * 52 / len(window) / window["customers"].mean()
    )


# ----------------------------------------------------------------------------- the page, rendered without a browser


@solara.component
def _LiveInLayout(model, scenario):
    with solara.AppLayout():
        LivePage(model, scenario)


def _html(rc, marker: str) -> str:
    return next(w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets if marker in w.unsafe_innerHTML)


def test_the_live_page_builds_and_a_step_changes_what_it_shows():
    model = solara.reactive(new_model(SMALL))
    _box, rc = solara.render(_LiveInLayout(model, SMALL), handle_error=False)
    assert len(rc.find(solara.widgets.VegaLite).widgets) == 7  # the funnel and six KPI charts
    before = _html(rc, "cx-kpis")
    assert "0 of 30" in before
    nps_chart = rc.find(solara.widgets.VegaLite).widgets[2]
    empty = nps_chart.spec["layer"][-1]["data"]["values"]
    step = rc.find(v.Btn, children=["Step"])
    started = time.perf_counter()
    for _ in range(6):
        step.widget.click()
    per_step = (time.perf_counter() - started) / 6
    assert model.value.steps == 6
    after = _html(rc, "cx-kpis")
    assert "6 of 30" in after and after != before
    assert dict(headline_numbers(model.value))["customers"] in after
    assert empty == [] and len(nps_chart.spec["layer"][-1]["data"]["values"]) == 2 * 6
    assert per_step < 1.0, f"a step with its redraw took {per_step:.2f} s"
    why = _html(rc, "cx-why")
    assert "<td>" in why


def test_reset_builds_the_model_the_controls_describe():
    model = solara.reactive(new_model(SMALL))
    _box, rc = solara.render(_LiveInLayout(model, SMALL), handle_error=False)
    rc.find(v.Checkbox, label="Transfer meeting at handoff").widget.v_model = True
    seed = rc.find(v.TextField, label="Seed").widget
    seed.v_model = "11"
    seed.fire_event("focusout")  # a text field hands its value over when it loses focus
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert model.value.config.policies.transfer_meeting is True
    assert model.value.seed == 11 and model.value.steps == 0


def test_the_side_by_side_view_runs_both_policies_and_states_the_headline(tmp_path):
    source = write_small_scenario(tmp_path)
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(source)
    _box, rc = solara.render(SideBySidePage(scenario, str(source)), handle_error=False)
    rc.find(v.TextField, label="Replications (2 to 30)").widget.v_model = "2"
    rc.find(v.Btn, children=["Run both policies"]).widget.click()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        texts = [w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets]
        if any("cx-headline" in t for t in texts):
            break
        time.sleep(0.2)
    headline_html = _html(rc, "cx-headline")
    assert "With the transfer meeting at handoff and user stories, annual churn is" in headline_html
    assert "(2 paired replications)" in headline_html
    assert len(rc.find(solara.widgets.VegaLite).widgets) == 8  # four KPIs: both policies, and their difference
    assert "cx-outcomes" in _html(rc, "cx-outcomes")


def test_side_by_side_numbers_are_cxsim_compares_on_the_same_seeds():
    first = Policy("baseline")
    second = Policy("baseline", {"transfer_meeting": True, "user_stories": True})
    result = run_pair(first, second, reps=2, seed=5, steps=30)
    seeds = replication_seeds(5, 2)
    assert result.seeds == seeds
    diffs = []
    for s in seeds:
        a = summarise(CXModel(first.config(30), rng=s, collect=False).run())
        b = summarise(CXModel(second.config(30), rng=s, collect=False).run())
        diffs.append(b["annual_churn_rate"] - a["annual_churn_rate"])
    churn = result.comparison["differences"][result.labels[1]]["annual_churn_rate"]
    assert churn["mean"] == pytest.approx(np.mean(diffs))
    assert churn["n"] == 2
    last = result.difference[result.difference["kpi"] == "nps"].iloc[-1]
    assert last["low"] <= last["mean"] <= last["high"]
    assert result.headline().startswith("With the transfer meeting at handoff and user stories, annual churn is ")


# ----------------------------------------------------------------------------- the headline in words


def test_the_headline_is_made_from_the_numbers():
    lower = {"mean": -0.018, "low": -0.027, "high": -0.009}
    assert effect_phrase("annual_churn_rate", lower) == "annual churn is 1.8 points lower, 95 % CI 0.9 to 2.7"
    spans = {"mean": 0.5, "low": -1.0, "high": 2.0}
    assert effect_phrase("nps", spans) == (
        "NPS is 0.5 points higher, 95 % CI 1.0 lower to 2.0 higher (not distinguishable from no change)"
    )
    assert money(400_000) == "+€400 k" and money(1_234_567) == "+€1.2 M" and money(-35_000) == "−€35 k"
    result = {
        "replications": 30,
        "differences": {"tm": {"annual_churn_rate": lower, "profit_per_year": {"mean": 4e5, "low": 1e5, "high": 7e5}}},
    }
    assert headline(result, "tm", "the transfer meeting") == (
        "With the transfer meeting, annual churn is 1.8 points lower, 95 % CI 0.9 to 2.7; "
        "profit +€400 k a year, 95 % CI +€100 k to +€700 k (30 paired replications)."
    )


# ----------------------------------------------------------------------------- serving


def test_the_shipped_assets_are_the_files_the_page_names():
    assert (ASSETS / "@widgetti" / "solara-vuetify-app@10.1.1" / "dist" / "solara-vuetify-app8.min.js").is_file()
    assert (ASSETS / "requirejs@2.3.6" / "require.js").is_file()
    for lib in ("vega@5", "vega-lite@5", "vega-embed@6"):
        name = lib.split("@")[0]
        assert (ASSETS / lib / "build" / f"{name}.min.js").is_file(), lib


def test_a_taken_port_is_one_line_and_exit_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(InputError, match="already in use"):
            check_port("127.0.0.1", port)
        code, out, err = call(capsys, "dashboard", "--port", str(port))
    assert code == 2 and out == ""
    assert one_line_error(err) == (
        f"error: --port = {port}: already in use on 127.0.0.1; stop what serves it or give another --port"
    )


def test_a_bad_scenario_stops_the_dashboard_before_it_serves(capsys, tmp_path):
    code, _, err = call(capsys, "dashboard", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert "scenario file not found" in one_line_error(err) or "no such" in one_line_error(err)


@pytest.mark.parametrize("module", ["solara", "mesa.visualization", "uvicorn"])
def test_without_the_viz_extra_the_page_says_how_to_install_it_in_one_line(capsys, monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError, as when not installed
    for key in offline_environment("baseline"):  # the command sets them before the imports: undone afterwards
        monkeypatch.delenv(key, raising=False)
    code, out, err = call(capsys, "dashboard", "--port", "1")
    assert code == 2 and out == ""
    line = one_line_error(err)
    assert line.startswith("error: dashboard: needs the viz extra, which is not installed: ")
    assert "pip install -e '.[viz]'" in line and "make test" in line
