"""CXModel is a Mesa-native model: Mesa's batch_run and SolaraViz drive it through its keyword levers.

``batch_run`` forces the spawn start method for the whole process, so it runs in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE_YAML, REPO_ROOT, cxsim, small_scenario

from sim.model import LEVERS, CXModel
from sim.model.cxmodel import HEADLINE_KPIS
from sim.scenario.loading import load_scenario

BATCH_RUN = """
import json, sys, warnings
import mesa
from sim.model import CXModel
warnings.simplefilter("ignore")
kind = sys.argv[1]
if kind == "iterations":
    rows = mesa.batch_run(CXModel, {"cross_unit_ties": [0, 0.2], "steps": 40}, iterations=3, display_progress=False)
else:
    rows = mesa.batch_run(CXModel, {}, rng=[1, 2], display_progress=False)
json.dump([{k: v for k, v in r.items() if isinstance(v, (int, float, str)) or v is None} for r in rows], sys.stdout)
"""


def batch_run(kind: str) -> pd.DataFrame:
    proc = subprocess.run(
        [sys.executable, "-c", BATCH_RUN, kind], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return pd.DataFrame(json.loads(proc.stdout))


def test_batch_run_iterations_are_distinct_runs():
    """Mesa passes rng=None to every iteration: each gets fresh entropy, not the scenario's fixed seed."""
    rows = batch_run("iterations")
    assert len(rows) == 6
    assert sorted(rows["cross_unit_ties"].unique()) == [0, 0.2]
    for _, group in rows.groupby("cross_unit_ties"):
        assert group["nps"].nunique() == 3
        assert group["satisfaction"].nunique() == 3


def test_batch_run_seeds_reproduce_the_command_line(tmp_path):
    """``batch_run(CXModel, {}, rng=[1, 2])`` gives exactly ``cxsim run baseline.yaml --seed 1`` / ``--seed 2``."""
    rows = batch_run("seeds").set_index("rng")
    for seed in (1, 2):
        out = tmp_path / f"s{seed}"
        proc = cxsim("run", str(BASELINE_YAML), "--seed", str(seed), "--out", str(out), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        last = pd.read_parquet(out / "timeseries.parquet").iloc[-1]
        for kpi in HEADLINE_KPIS:
            assert rows.loc[seed, kpi] == pytest.approx(last[kpi], rel=0, abs=0), kpi
    assert rows.loc[1, "nps"] != rows.loc[2, "nps"]


def test_rng_none_draws_fresh_entropy_and_keeps_the_seed():
    sc = small_scenario(steps=10, warmup=2)
    a, b = CXModel(sc, rng=None).run(), CXModel(sc, rng=None).run()
    assert a.seed != b.seed
    again = CXModel(sc, rng=a.seed).run()
    assert again.timeseries().equals(a.timeseries())
    assert again.config.seed == a.seed


@pytest.mark.parametrize(
    ("bad", "error"), [(-1, ValueError), (2**64, ValueError), (1.5, TypeError), ("7", TypeError), (True, TypeError)]
)
def test_rng_must_be_a_seed(bad, error):
    with pytest.raises(error, match="rng must be a whole number"):
        CXModel(small_scenario(), rng=bad)


def test_rng_may_be_a_generator_or_seed_sequence_as_in_mesa():
    """Mesa accepts a Generator or SeedSequence as ``rng``: one draw gives the seed the run records."""
    sc = small_scenario(steps=10, warmup=2)
    a = CXModel(sc, rng=np.random.default_rng(5)).run()
    b = CXModel(sc, rng=np.random.default_rng(5)).run()
    assert a.seed == b.seed and a.timeseries().equals(b.timeseries())
    assert CXModel(sc, rng=a.seed).run().timeseries().equals(a.timeseries())
    c = CXModel(sc, rng=np.random.SeedSequence(5))
    assert c.seed == CXModel(sc, rng=np.random.SeedSequence(5)).seed != CXModel(sc, rng=np.random.SeedSequence(6)).seed


def test_config_must_be_a_scenario():
    with pytest.raises(TypeError, match="config must be a Scenario"):
        CXModel("baseline", rng=1)


def test_levers_are_keywords_that_set_their_scenario_keys():
    """Each flat keyword sets the documented scenario key; None leaves the scenario as it is."""
    model = CXModel(
        load_scenario(BASELINE_YAML),
        rng=3,
        leadership="servant",
        cross_unit_ties=0.3,
        licence_to_sell=True,
        feedback_delay_weeks=2,
        delivery_employees=20,
        steps=30,
    )
    cfg = model.config
    assert {u.leader.style for u in (cfg.organization.units.sales, cfg.organization.units.delivery)} == {"servant"}
    assert cfg.organization.units.support.leader.style == "servant"
    assert cfg.organization.cross_unit_ties == 0.3
    assert cfg.policies.licence_to_sell is True
    assert cfg.policies.feedback_delay_weeks == 2
    assert cfg.organization.units.delivery.employees == 20
    assert cfg.steps == 30
    assert model.workforce.size == 40 + 20 + 30
    assert np.allclose(model.world.traits["support"], 0.9)
    untouched = CXModel(load_scenario(BASELINE_YAML), rng=3, steps=30).config
    assert untouched.organization.units.sales.leader.style == "transformational"
    assert set(LEVERS) <= set(CXModel.__init__.__code__.co_varnames)


def test_a_bad_lever_value_names_the_keyword():
    from sim.errors import InputError

    with pytest.raises(InputError, match=r"CXModel\(cross_unit_ties=\.\.\.\).*cross_unit_ties"):
        CXModel(rng=1, cross_unit_ties=7.5)


def test_mesa_scenario_stays_mesas():
    """``model.scenario`` is Mesa's own object; cxsim's validated input is ``model.config``."""
    from mesa.experimental.scenarios import Scenario as MesaScenario

    model = CXModel(small_scenario(), rng=4)
    assert isinstance(model.scenario, MesaScenario)
    assert model.config.name == "baseline"
    assert not hasattr(model, "spec")


# ---------------------------------------------------------------------------------------------
# SolaraViz: the levers are controls, and Reset builds a new model from them


def viz_params(cfg):
    from mesa.visualization import Slider

    from sim.vocabulary import STYLES

    return {
        "config": cfg,
        "cross_unit_ties": Slider("Cross-unit ties", 0.05, 0.0, 0.5, 0.05),
        "leadership": {"type": "Select", "value": "transactional", "values": list(STYLES), "label": "Leadership"},
    }


def test_solara_viz_builds_with_lever_controls():
    import ipyvuetify
    import solara
    from mesa.visualization import SolaraViz
    from mesa.visualization.solara_viz import ModelCreator

    cfg = small_scenario(steps=20, warmup=2)
    model = solara.reactive(CXModel(cfg, rng=1))
    params = viz_params(cfg)
    solara.render(SolaraViz(model, components=[], model_params=params, name="cxsim"), handle_error=False)
    values = solara.reactive({"config": cfg, "cross_unit_ties": 0.05, "leadership": "transactional"})
    _, rc = solara.render(ModelCreator(model, params, model_parameters=values), handle_error=False)
    slider = rc.find(ipyvuetify.Slider).widget
    assert slider.label == "Cross-unit ties"
    slider.v_model = 0.3
    assert values.value["cross_unit_ties"] == 0.3


def test_solara_viz_reset_recreates_the_model_from_the_controls():
    """Mesa's Reset passes its own ``scenario=``; the model takes it and rebuilds from the controls."""
    import ipyvuetify
    import solara
    from mesa.visualization.solara_viz import ModelController

    cfg = small_scenario(steps=20, warmup=2)
    model = solara.reactive(CXModel(cfg, rng=1))
    first = model.value
    values = solara.reactive({"config": cfg, "cross_unit_ties": 0.3, "leadership": "servant"})
    _, rc = solara.render(
        ModelController(
            model,
            model_parameters=values,
            play_interval=solara.reactive(100),
            render_interval=solara.reactive(1),
            use_threads=solara.reactive(False),
        ),
        handle_error=False,
    )
    rc.find(ipyvuetify.Btn, children=["Step"]).widget.click()
    assert model.value is first and first.steps == 1
    rc.find(ipyvuetify.Btn, children=["Reset"]).widget.click()
    fresh = model.value
    assert fresh is not first and fresh.steps == 0
    assert fresh.config.organization.cross_unit_ties == 0.3
    assert fresh.config.organization.units.delivery.leader.style == "servant"
    assert fresh.workforce.size == first.workforce.size
    fresh.step()
    assert fresh.latest("customers") > 0
