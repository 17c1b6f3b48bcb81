"""Plausible ranges: every numeric scenario parameter has one, it holds its default and lies within its bounds."""

from __future__ import annotations

import math

import pytest
from conftest import scenario

from sim.errors import InputError
from sim.scenario.ranges import (
    RUN_SETTINGS,
    numeric_parameters,
    parameter_range,
    plausible_range,
    plausible_ranges,
)
from sim.scenario.schema import Scenario


def test_every_numeric_parameter_has_a_range_that_holds_its_default_within_its_bounds():
    keys = numeric_parameters()
    assert len(keys) == 257  # 167 parameters, and the organisation, customers, channels and policies
    assert len([k for k in keys if k.startswith("parameters.")]) == 167
    for key in keys:
        r = parameter_range(key)
        low, high = r.plausible
        assert math.isfinite(low) and math.isfinite(high) and low < high, key
        assert r.allows(low) and r.allows(high), (key, r.plausible, r.bounds_text())
        if r.value is not None:
            assert low <= r.value <= high, (key, r.value, r.plausible)
        if r.whole:
            assert low == int(low) and high == int(high), key


def test_run_settings_and_non_numbers_have_no_range():
    keys = set(numeric_parameters())
    assert not keys & set(RUN_SETTINGS)
    assert "policies.empowerment" not in keys and "organization.units.sales.leader.style" not in keys
    assert "organization.units.sales.leader.support" in keys  # unset by default (the preset), still a number
    for key, needle in [
        ("steps", "run setting"),
        ("policies.empowerment", "not a single number"),
        ("organization.units.sales.leader_mix", "not a single number"),
        ("parameters.service.nope", "no such setting"),
    ]:
        with pytest.raises(InputError, match=needle) as info:
            plausible_range(key)
        assert info.value.field == key


def test_sourced_and_assumed_values_get_the_ranges_declared_next_to_their_bounds():
    assert plausible_range("parameters.service.engagement_weight") == (0.18, 0.26)  # Harter et al. 2002, level held
    assert plausible_range("parameters.market.imitation") == (0.2, 0.6)  # Sultan, Farley & Lehmann 1990
    assert plausible_range("parameters.costs.working_hours_per_year") == (1350.0, 1750.0)  # OECD
    assert parameter_range("parameters.information.peer_share_rate").assumption
    assert plausible_range("organization.units.sales.leader.recognition") == (0.1, 0.9)


def test_relative_ranges_follow_the_scenarios_own_value_and_stop_at_the_bounds():
    assert plausible_range("organization.units.delivery.employees") == (35, 65)
    smaller = scenario(organization={"units": {"delivery": {"employees": 20}}})
    assert plausible_range("organization.units.delivery.employees", smaller) == (14, 26)
    assert plausible_range("customers.segments.small.share") == (0.245, 0.455)  # no binary noise
    assert plausible_range("channels.maintenance.email_tickets.share") == (0.9, 1.0)  # cut at the bound 1
    assert plausible_range("channels.pre_purchase.events.response_days") == (0.0, 0.5)  # 0 days: cut at 0
    ranges = plausible_ranges(smaller)
    assert list(ranges) == numeric_parameters(Scenario())
    assert ranges["organization.units.delivery.employees"] == (14, 26)
