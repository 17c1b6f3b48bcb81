"""Channels as data: each channel's share, richness, load and response time are scenario input.

The numbers live under ``channels.<stage>.<channel>``; the touchpoint phase reads them from the
world's channel table. Defaults are the baseline company's (so no shipped output changes);
changing one moves the mechanism it feeds: load -> the servers' utilisation and overload,
richness -> touchpoint quality, shares -> which channel a touchpoint uses.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from conftest import cxsim, one_line_error, small_scenario

from sim.model import CXModel
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from sim.vocabulary import CHANNEL_KEYS, CHANNELS, DELIVERY

SEEDS = (1, 2, 3)


def delivery_channels(**chat: float) -> dict:
    return {"channels": {"delivery": {"chat": chat}}}


@cache
def delivery_load(chat_load: float, seed: int) -> tuple[float, float, float]:
    """Mean over the measured weeks of the delivery unit's utilisation KPI, raw load and overload."""
    sc = small_scenario(**delivery_channels(load=chat_load))
    model = CXModel(sc, rng=seed, collect=False)
    seats = model.world.unit_seats[DELIVERY]
    loads = []
    while model.running:
        model.step()
        if model.steps > sc.warmup:
            loads.append(model.world.workforce.load[seats])
    load = np.array(loads)
    ts = model.timeseries()
    utilisation = ts["utilisation.delivery"].to_numpy()[sc.warmup :].mean()
    return float(utilisation), float(load.mean()), float(np.maximum(0.0, load - 1.0).mean())


def test_a_heavier_channel_loads_its_servers_more():
    """Doubling delivery chat's load raises the delivery unit's utilisation and overload, seed by seed."""
    for seed in SEEDS:
        base = delivery_load(0.5, seed)
        heavy = delivery_load(1.0, seed)
        assert heavy[0] > base[0], (seed, base, heavy)  # the smoothed utilisation KPI
        assert heavy[1] > base[1], (seed, base, heavy)  # this week's load
        assert heavy[2] > base[2], (seed, base, heavy)  # load above capacity


def chat_quality(richness: float, seed: int) -> float:
    """Touchpoint-weighted mean quality of delivery chat touchpoints over the measured weeks."""
    sc = small_scenario(**delivery_channels(richness=richness))
    ts = CXModel(sc, rng=seed, collect=False).run().timeseries(fill=False).iloc[sc.warmup :]
    n = ts["touchpoints.delivery.chat"].to_numpy()
    q = np.nan_to_num(ts["quality.delivery.chat"].to_numpy())
    return float((n * q).sum() / n.sum())


def test_a_richer_channel_gives_better_touchpoints():
    for seed in SEEDS:
        assert chat_quality(0.95, seed) > chat_quality(0.55, seed), seed


def test_an_all_chat_delivery_mix_makes_every_delivery_touchpoint_a_chat():
    sc = small_scenario(channels={"delivery": {"face_to_face": {"share": 0.0}, "chat": {"share": 1.0}}})
    ts = CXModel(sc, rng=1, collect=False).run().timeseries()
    delivery = [f"touchpoints.{k}" for k in CHANNEL_KEYS if k.startswith("delivery.")]
    assert delivery == ["touchpoints.delivery.face_to_face", "touchpoints.delivery.chat"]
    assert ts["touchpoints.delivery.face_to_face"].sum() == 0
    assert ts["touchpoints.delivery.chat"].sum() > 0
    # the other stages keep their mix
    assert ts["touchpoints.purchase.face_to_face"].sum() > 0 and ts["touchpoints.purchase.email"].sum() > 0


def test_shares_that_do_not_add_up_to_one_are_refused(tmp_path):
    (tmp_path / "s.yaml").write_text("channels: {delivery: {chat: {share: 0.7}}}\n")
    res = cxsim("run", "s.yaml", cwd=tmp_path)
    assert res.returncode == 2
    line = one_line_error(res.stderr)
    assert "s.yaml" in line and "channels.delivery" in line
    assert "delivery channel shares must add up to 1" in line and "1.2" in line
    assert not (tmp_path / "results").exists()


def test_an_unknown_channel_is_refused(tmp_path):
    (tmp_path / "s.yaml").write_text("channels: {delivery: {fax: {share: 0.1}}}\n")
    res = cxsim("run", "s.yaml", cwd=tmp_path)
    assert res.returncode == 2
    line = one_line_error(res.stderr)
    assert "channels.delivery.fax" in line and "face_to_face" in line and "chat" in line


def test_a_partial_override_keeps_the_other_defaults(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("channels: {delivery: {chat: {load: 0.6}}}\n")
    got = load_scenario(path).channels
    default = Scenario().channels
    assert got.delivery.chat.load == 0.6
    for index, channel in enumerate(CHANNELS):
        want, have = default.spec(index), got.spec(index)
        if channel.key == "delivery.chat":
            assert have.model_dump() == {**want.model_dump(), "load": 0.6}
        else:
            assert have == want, channel.key


def test_the_default_table_is_the_baseline_mix():
    table = Scenario().channels.table()
    for s in range(4):
        assert np.isclose(table.share[[c.stage == s for c in CHANNELS]].sum(), 1.0)
    assert table.first.tolist() == [0, 6, 8, 10]
