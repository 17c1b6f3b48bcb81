"""The levers a strategist pulls, as SolaraViz controls over each parameter's plausible range.

A slider spans what is believable of a real company (:func:`sim.scenario.ranges.plausible_range`),
not everything the schema allows, and starts at the scenario's own value, so the page opens on
the company the scenario describes. The controls only set the next model: SolaraViz builds it
when Reset is pressed.
"""

from __future__ import annotations

from typing import Any

from sim.model.cxmodel import LEVERS, CXModel
from sim.scenario.loading import set_override, validate_scenario
from sim.scenario.ranges import parameter_range
from sim.scenario.schema import Scenario
from sim.vocabulary import STYLES, UNITS

#: labels of the numeric levers on the page, in the order they are shown
NUMERIC_LEVERS: dict[str, str] = {
    "cx_commitment": "CX commitment (top)",
    "cross_unit_ties": "Cross-unit ties",
    "meeting_every_weeks": "Meeting every (weeks)",
    "survey_coverage": "Survey coverage",
    "feedback_delay_weeks": "Feedback delay (weeks)",
    "sales_employees": "Sales staff",
    "delivery_employees": "Delivery staff",
    "support_employees": "Support staff",
}
#: the policy switches, labelled as a strategist names them
SWITCHES: dict[str, str] = {
    "licence_to_sell": "Licence to sell",
    "licence_to_deliver": "Licence to deliver",
    "empowerment": "Empowerment to recover on the spot",
    "transfer_meeting": "Transfer meeting at handoff",
    "user_stories": "User stories",
    "shared_customer_record": "Shared customer record",
    "ask_why": "Ask detractors WHY",
    "cx_incentives": "CX incentives",
    "recruit_for_attitude": "Recruiting for attitude",
}
#: a unit's leadership on the page: the scenario's own (also a mix of styles) or one style for all its teams
OWN_LEADERSHIP = "as in the scenario"
#: the seed a page starts with unless the scenario names its own
DEFAULT_SEED = 42


def leader_keyword(unit: str) -> str:
    """The page's keyword for a unit's leader style, e.g. ``sales_leader``."""
    return f"{unit}_leader"


def slider(key: str, label: str, scenario: Scenario) -> dict[str, Any]:
    """A SolaraViz slider over the plausible range of ``LEVERS[key]``, starting at the scenario's value."""
    r = parameter_range(LEVERS[key], scenario)
    lo, hi = r.plausible
    value = r.value if r.value is not None else lo
    lo, hi = min(lo, value), max(hi, value)  # a scenario outside the believable range still shows its value
    if r.whole:
        return {"type": "SliderInt", "value": int(value), "min": int(lo), "max": int(hi), "step": 1, "label": label}
    return {"type": "SliderFloat", "value": float(value), "min": lo, "max": hi, "step": 0.01, "label": label}


def model_params(scenario: Scenario) -> dict[str, Any]:
    """SolaraViz ``model_params``: the scenario as a fixed input, a seed, and every lever as a control."""
    params: dict[str, Any] = {
        "config": scenario,
        "collect": False,
        "rng": {"type": "InputText", "value": str(scenario.seed), "label": "Seed"},
    }
    units = scenario.organization.units
    for unit in UNITS:
        spec = getattr(units, unit)
        own = OWN_LEADERSHIP if spec.leader_mix else spec.leader.style
        values = ([OWN_LEADERSHIP] if spec.leader_mix else []) + list(STYLES)
        params[leader_keyword(unit)] = {
            "type": "Select",
            "value": own,
            "values": values,
            "label": f"{unit.capitalize()} leadership",
        }
    for key, label in NUMERIC_LEVERS.items():
        params[key] = slider(key, label, scenario)
    policies = scenario.policies
    for key, label in SWITCHES.items():
        params[key] = {"type": "Checkbox", "value": bool(getattr(policies, key)), "label": label}
    return params


def with_leaders(config: Scenario, styles: dict[str, str | None]) -> Scenario:
    """The scenario with one leader style for every team of the named units (their mix cleared)."""
    given = {u: s for u, s in styles.items() if s and s != OWN_LEADERSHIP}
    if not given:
        return config
    raw = config.model_dump()
    origins: dict[str, str] = {}
    for unit, style in given.items():
        path = f"organization.units.{unit}.leader.style"
        origins[path] = f"the page's {unit} leadership"
        set_override(raw, path, style, source=origins[path])
        raw["organization"]["units"][unit]["leader_mix"] = None
    return validate_scenario(raw, "dashboard", origins)


def seed_value(rng: Any) -> int | None:
    """The seed typed on the page as a whole number (None: a fresh one); anything else is refused."""
    if rng is None or isinstance(rng, int):
        return rng
    text = str(rng).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"the seed must be a whole number, not {text!r}") from None


class DashboardModel(CXModel):
    """:class:`CXModel` with a leader style per unit and a seed typed as text: the page's own two inputs.

    Every other keyword is one of the model's levers (see :data:`sim.model.cxmodel.LEVERS`).
    """

    def __init__(
        self,
        config: Scenario | None = None,
        *,
        rng: Any = None,
        scenario: Any = None,
        sales_leader: str | None = None,
        delivery_leader: str | None = None,
        support_leader: str | None = None,
        **levers: Any,
    ) -> None:
        base = config if config is not None else Scenario()
        styles = {"sales": sales_leader, "delivery": delivery_leader, "support": support_leader}
        super().__init__(with_leaders(base, styles), rng=seed_value(rng), scenario=scenario, **levers)
