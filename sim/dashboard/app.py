"""The page served by ``cxsim dashboard``: the live model and the side-by-side view, as two routes.

Solara imports this module in the server and shows ``routes`` as tabs. The scenario the page
opens on is named by :data:`SCENARIO_ENV` (set by ``cxsim dashboard``; the baseline company
otherwise). Each browser session gets its own model (a per-session store built on first use),
so two strategists never step each other's company.
"""

from __future__ import annotations

import os

import solara
import solara.lab
from solara.toestand import KernelStoreFactory

from sim.dashboard.live import LivePage, new_model
from sim.dashboard.server import SCENARIO_ENV
from sim.dashboard.side_by_side import SideBySidePage
from sim.model.cxmodel import CXModel
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario


def page_source() -> str:
    """The scenario the page was started with: a file or a shipped name."""
    return os.environ.get(SCENARIO_ENV) or "baseline"


def page_scenario() -> Scenario:
    """The validated scenario of the page (the command line has checked it before the server started)."""
    return load_scenario(page_source())


SCENARIO = page_scenario()
#: the session's live model: built on a session's first look, replaced by SolaraViz's Reset
live_model: solara.Reactive[CXModel] = solara.Reactive(KernelStoreFactory(lambda: new_model(SCENARIO)))


@solara.component
def Live() -> None:
    """The live model with its levers and charts."""
    LivePage(live_model, SCENARIO)


@solara.component
def SideBySide() -> None:
    """Two policies on the same seeds."""
    SideBySidePage(SCENARIO, page_source())


#: the page's two views, as tabs under the app bar
TABS = (("Live model", "/"), ("Side by side", "/side-by-side"))


@solara.component
def Layout(children: list | None = None) -> solara.Element:
    """Solara's app layout with the views named as a strategist would name them."""
    route, routes = solara.use_route()
    router = solara.use_router()
    index = routes.index(route) if route in routes else 0
    with solara.AppLayout(children=children or []) as main, solara.AppBar():  # noqa: SIM117 - elements nest as built
        with solara.lab.Tabs(value=index, on_value=lambda i: router.push(TABS[i][1]), align="center"):
            for name, _ in TABS:
                solara.lab.Tab(name)
    return main


routes = [
    solara.Route(path="/", component=Live, label=TABS[0][0], layout=Layout),
    solara.Route(path="side-by-side", component=SideBySide, label=TABS[1][0]),
]
