"""Scenario files: every shipped scenario loads and runs; inheritance and overrides resolve as documented."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from conftest import BASELINE_YAML, SCENARIOS, run_model

from sim.errors import InputError
from sim.scenario import Scenario, load_scenario
from sim.vocabulary import STYLE_PRESETS

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_scenarios_are_shipped():
    """Exactly the scenarios the README's table documents are shipped."""
    readme = (SCENARIOS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Scenarios\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M))
    assert {p.stem for p in SHIPPED} == documented
    assert BASELINE_YAML in SHIPPED


def test_baseline_file_is_the_default_scenario():
    loaded = load_scenario(BASELINE_YAML).model_dump()
    default = Scenario().model_dump()
    assert {k: v for k, v in loaded.items() if k != "description"} == {
        k: v for k, v in default.items() if k != "description"
    }


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_loads_and_runs(path):
    sc = load_scenario(path)
    assert sc.name == path.stem
    if path != BASELINE_YAML:  # each scenario changes its lever, and nothing is lost on the way
        changed = sc.model_dump(exclude={"name", "description"}) != Scenario().model_dump(
            exclude={"name", "description"}
        )
        assert changed, f"{path.name} does not differ from the baseline"
    # a short run, long enough to see the scenario's timed events start and end
    steps = max([30] + [(e.until or e.at) + 2 for e in sc.events])
    short = load_scenario(path, [f"steps={steps}", "warmup=4", "customers.accounts=100"])
    model = run_model(short)
    frame = model.timeseries()
    assert len(frame) == steps and not frame.isna().any().any()
    assert frame["events_applied"].sum() == len(model.event_log) == sum(1 + (e.until is not None) for e in sc.events)


def test_overrides_and_options_apply():
    sc = load_scenario(
        BASELINE_YAML,
        ["organization.cross_unit_ties=0.3", "policies.empowerment=true", "organization.units.sales.leader=servant"],
        {"seed": 9, "steps": 60},
    )
    assert sc.organization.cross_unit_ties == 0.3
    assert sc.policies.empowerment is True
    assert sc.organization.units.sales.leader.style == "servant"
    assert (sc.seed, sc.steps) == (9, 60)


def test_partial_unit_keeps_that_units_defaults():
    sc = Scenario.model_validate({"organization": {"units": {"delivery": {"employees": 25}, "sales": {"capacity": 6}}}})
    default = Scenario().organization.units
    assert sc.organization.units.delivery.employees == 25
    assert sc.organization.units.delivery.capacity == default.delivery.capacity == 4.0
    assert sc.organization.units.sales.leader.style == default.sales.leader.style == "transformational"


def test_partial_segment_keeps_that_segments_defaults():
    sc = load_scenario(BASELINE_YAML, ["customers.segments.small.contract_value=25000"])
    small = sc.customers.segments.small
    assert (small.share, small.contract_value, small.expectation) == (0.35, 25000, 0.65)


def test_leader_trait_override_keeps_the_inherited_style(tmp_path):
    """``leader: {support: 0.9}`` in a file that extends a ``leader: laissez_faire`` file keeps laissez-faire."""
    child = tmp_path / "child.yaml"
    child.write_text(
        f"extends: {SCENARIOS / 'laissez_faire_leadership.yaml'}\n"
        "organization: {units: {sales: {leader: {support: 0.9}}}}\n"
    )
    from_file = load_scenario(child).organization.units.sales.leader
    from_set = load_scenario(
        SCENARIOS / "laissez_faire_leadership.yaml", ["organization.units.sales.leader.support=0.9"]
    ).organization.units.sales.leader
    assert from_file == from_set
    assert from_file.style == "laissez_faire"
    assert from_file.traits() == {**STYLE_PRESETS["laissez_faire"], "support": 0.9}


def test_load_errors_carry_source_field_and_value(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE_YAML}\norganization: {{meeting_every_weeks: 0}}\n")
    with pytest.raises(InputError) as info:
        load_scenario(bad)
    err = info.value
    assert (err.source, err.field, err.value) == (str(bad), "organization.meeting_every_weeks", 0)
    assert "1" in err.allowed and "52" in err.allowed


# --------------------------------------------------------------------------- strict types and bounded reading
def _load_text(tmp_path, text: str, *overrides: str):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return load_scenario(path, list(overrides))


@pytest.mark.parametrize(
    ("text", "field", "needle"),
    [
        ("customers: {accounts: '40'}\n", "customers.accounts", "without quotes"),
        ("customers: {accounts: 40.0}\n", "customers.accounts", "decimal point"),
        ("customers: {accounts: 40.5}\n", "customers.accounts", "whole number"),
        ("steps: 0100\n", "steps", "leading zeros"),
        ("policies: {empowerment: yes}\n", "policies.empowerment", "true or false"),
        ("policies: {empowerment: on}\n", "policies.empowerment", "true or false"),
        ("policies: {empowerment: 1}\n", "policies.empowerment", "true or false"),
        ("policies: {empowerment: 'true'}\n", "policies.empowerment", "true or false"),
        ("organization: {cross_unit_ties: '0.2'}\n", "organization.cross_unit_ties", "without quotes"),
    ],
)
def test_scenario_types_are_strict(tmp_path, text, field, needle):
    with pytest.raises(InputError) as info:
        _load_text(tmp_path, text)
    assert info.value.field == field and needle in info.value.allowed


def test_plain_yaml_values_and_set_overrides_still_read_as_meant(tmp_path):
    sc = _load_text(
        tmp_path,
        "customers: {accounts: 1_000}\nparameters: {market: {imitation: 1e1}}\npolicies: {empowerment: true}\n",
        "policies.user_stories=true",
        "organization.cross_unit_ties=0.2",
        "customers.prospects=90",
    )
    assert sc.customers.accounts == 1000 and sc.parameters.market.imitation == 10.0
    assert sc.policies.empowerment is True and sc.policies.user_stories is True
    assert sc.organization.cross_unit_ties == 0.2 and sc.customers.prospects == 90
    with pytest.raises(InputError, match="true or false"):
        _load_text(tmp_path, "name: x\n", "policies.user_stories=yes")


def test_numpy_whole_numbers_count_as_whole_numbers():
    sc = Scenario.model_validate({"organization": {"meeting_every_weeks": np.int64(4)}})
    assert sc.organization.meeting_every_weeks == 4 and type(sc.organization.meeting_every_weeks) is int


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("steps: 30\nwarmup: 4\nsteps: 40\n", "steps", "line 1"),
        ("organization:\n  cross_unit_ties: 0.1\n  cross_unit_ties: 0.2\n", "organization.cross_unit_ties", "line 2"),
        ("policies: {empowerment: true, empowerment: false}\n", "policies.empowerment", "line 1"),
    ],
)
def test_duplicate_keys_are_refused(tmp_path, text, field, line):
    with pytest.raises(InputError) as info:
        _load_text(tmp_path, text)
    assert info.value.field == field
    assert "duplicate key" in info.value.allowed and f"first on {line}" in info.value.allowed


BOMB = "".join(
    [f"l0: &l0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)]
)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (BOMB + "description: *l9\n", "aliases"),
        (BOMB + "organization: {units: {sales: {employees: *l9}}}\n", "aliases"),
        ("description: &a [1, *a]\n", "contains itself"),
        ("description: " + "[" * 500 + "]" * 500 + "\n", "nested"),
        ("description: " + "[" * 3000 + "]" * 3000 + "\n", "nesting"),
        ("description: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", "nested"),
        ("# " + "x" * (1 << 20) + "\n", "bytes"),
        ("customers: {accounts: " + "9" * 5000 + "}\n", "digits"),
    ],
    ids=["bomb-description", "bomb-employees", "recursive", "deep-500", "deep-3000", "deep-mapping", "big", "digits"],
)
def test_hostile_yaml_is_refused_fast(tmp_path, text, needle):
    start = time.perf_counter()
    with pytest.raises(InputError) as info:
        _load_text(tmp_path, text)
    assert time.perf_counter() - start < 1.0
    assert needle in str(info.value) and len(str(info.value)) < 300


def test_an_error_shows_a_big_value_cut_short(tmp_path):
    """A big value (here 17,000 numbers through aliases) is shown in a few dozen characters."""
    bomb = "[&x0 [" + ", ".join(["1"] * 25) + "], &x1 [" + ", ".join(["*x0"] * 25) + "], [" + ", ".join(["*x1"] * 25)
    with pytest.raises(InputError) as info:
        _load_text(tmp_path, f"description: {bomb}]]\n")
    assert info.value.field == "description" and len(str(info.value)) < 200


def test_aliases_are_copies_so_an_override_stays_where_it_is_set(tmp_path):
    sc = _load_text(
        tmp_path,
        "organization:\n  units:\n    sales: &unit {employees: 12, capacity: 3.0}\n    support: *unit\n",
        "organization.units.sales.employees=20",
    )
    assert sc.organization.units.sales.employees == 20 and sc.organization.units.support.employees == 12


@pytest.mark.parametrize("parent", ["/etc/shadow", "/etc/passwd", "/dev/zero", "/proc/self/environ", "secret.txt"])
def test_extends_reads_only_yaml_scenario_files(tmp_path, parent):
    (tmp_path / "secret.txt").write_text("SECRET-LINE: 1\n")
    with pytest.raises(InputError) as info:
        _load_text(tmp_path, f"extends: {parent}\n")
    message = str(info.value)
    assert info.value.field == "extends" and ".yaml or .yml" in message
    assert "SECRET" not in message and "root:" not in message


def test_extends_through_a_link_to_another_kind_of_file_is_refused(tmp_path):
    (tmp_path / "secret.txt").write_text("SECRET-LINE: [\n")
    (tmp_path / "link.yaml").symlink_to("secret.txt")
    with pytest.raises(InputError) as info:
        _load_text(tmp_path, "extends: link.yaml\n")
    assert "not YAML" in str(info.value) and "SECRET" not in str(info.value)


@pytest.mark.parametrize(
    "content", ["SECRET-LINE: [\n", "a: *SECRET-LINE\n", "a: !SECRET-LINE 1\n"], ids=["malformed", "alias", "tag"]
)
def test_an_error_in_a_parent_file_does_not_echo_its_text(tmp_path, content):
    (tmp_path / "parent.yaml").write_text(content)
    with pytest.raises(InputError) as info:
        _load_text(tmp_path, "extends: parent.yaml\n")
    assert info.value.source.endswith("parent.yaml") and "SECRET" not in str(info.value)


def test_a_long_extends_chain_is_refused(tmp_path):
    for i in range(30):
        (tmp_path / f"c{i}.yaml").write_text(f"extends: c{i + 1}.yaml\n")
    (tmp_path / "c30.yaml").write_text("name: end\n")
    with pytest.raises(InputError, match="at most 20 files"):
        _load_text(tmp_path, "extends: c0.yaml\n")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"# only a comment\n", "empty"),
        (b"- a\n- b\n", "mapping"),
        (b"name: a\n---\nname: b\n", "single document"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "UTF-8"),
        (b"name: a\x00b\n", "control character"),
    ],
    ids=["empty", "comment", "list", "two-documents", "binary", "nul"],
)
def test_files_that_are_not_a_scenario_mapping_are_refused(tmp_path, content, needle):
    path = tmp_path / "s.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=needle):
        load_scenario(path)


@pytest.mark.parametrize("name", ["n" * 101, ".", "..", "a/b"])
def test_names_that_cannot_be_a_folder_name_are_refused(tmp_path, name):
    with pytest.raises(InputError) as info:
        _load_text(tmp_path, f"name: '{name}'\n")
    assert info.value.field == "name"


def test_a_shipped_scenario_is_found_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_scenario("baseline").name == "baseline"
    assert load_scenario("empowerment.yaml").policies.empowerment is True


# ------------------------------------------------------------------ the README's expected directions
#: README words for run outcomes (``sim.outputs.summary``)
README_TERMS = {
    "satisfaction": "mean_satisfaction",
    "nps": "nps",
    "churn": "annual_churn_rate",
    "turnover": "employee_turnover_rate",
    "employee turnover": "employee_turnover_rate",
    "engagement": "mean_engagement",
    "recovery rate": "recovery_rate",
    "handoff information loss": "handoff_info_loss",
    "delivery failures": "delivery_failure_rate",
    "requirements lost": "handoff_info_loss",
    "failures": "failure_rate",
    "information age": "mean_info_age_weeks",
    "stale share": "stale_share",
    "profit": "profit_per_year",
    "costs": "costs_per_year",
    "wins": "wins_per_year",
}
_DIRECTION = re.compile(r"^(?:much |far )?(higher|lower|more|fewer)\b\s*(.*)$")


def readme_claims() -> dict[str, list[tuple[str, int]]]:
    """Per shipped scenario, the (outcome, sign) claims of the README table's last column.

    A clause starts with "higher", "lower", "more" or "fewer" (optionally "much" or "far ...") and lists
    outcomes separated by commas or "and"; a new direction word starts a new clause; text in
    parentheses is commentary and not checked. Every outcome word must be known.
    """
    readme = (SCENARIOS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Scenarios\n", 1)[1].split("\n## ", 1)[0]
    claims: dict[str, list[tuple[str, int]]] = {}
    for name, expected in re.findall(r"^\| `([a-z_]+)` \|[^|]*\| ([^|]*) \|$", section, flags=re.M):
        if name == "baseline":
            continue
        text = re.sub(r"\([^)]*\)", "", expected).lower()
        sign = 0
        out = []
        for piece in re.split(r"[;,]| and ", text):
            piece = piece.strip()
            m = _DIRECTION.match(piece)
            if m:
                sign = +1 if m.group(1) in ("higher", "more") else -1
                piece = m.group(2).strip()
            if not piece or not sign:
                continue
            assert piece in README_TERMS, f"README, scenario {name}: unknown outcome word {piece!r}"
            out.append((README_TERMS[piece], sign))
        claims[name] = out
    return claims


def _paired_outcomes(path: str, seed: int) -> dict[str, float]:
    from sim.model import CXModel
    from sim.outputs.summary import summarise

    sc = load_scenario(path)
    return summarise(CXModel(sc, rng=seed, collect=False).run())


#: seeds of the README check; a scenario with a claim on churn runs twice as many (with the baseline):
#: churn counts the few renewals lost in a year, the noisiest outcome the README names
README_SEEDS = range(1, 9)
CHURN_SEEDS = range(1, 17)
#: scenarios whose claimed effect on the run's means is small: a 12-week shock to one unit moves the
#: 130 measured weeks' satisfaction by about 0.003 (a paired SE of about 0.001 at 8 seeds)
SMALL_EFFECT = {"capacity_shock"}


@pytest.mark.slow
def test_readme_directions_hold_over_paired_seeds():
    """Every direction the README's scenario table claims holds against the baseline: the paired
    95 % CI of the difference over 8 seeds (common random numbers; 16 for a scenario that claims a
    direction of churn or whose effect is small) excludes zero on the claimed side."""
    from concurrent.futures import ProcessPoolExecutor

    from sim.experiments.stats import paired_difference

    claims = readme_claims()
    assert set(claims) == {p.stem for p in SHIPPED} - {"baseline"}
    seeds = {
        name: CHURN_SEEDS if name in SMALL_EFFECT or any(o == "annual_churn_rate" for o, _ in outs) else README_SEEDS
        for name, outs in claims.items()
    }
    seeds["baseline"] = CHURN_SEEDS
    jobs = [(str(SCENARIOS / f"{name}.yaml"), s) for name, ss in seeds.items() for s in ss]
    with ProcessPoolExecutor(2) as pool:
        results = iter(pool.map(_paired_outcomes, *zip(*jobs, strict=True)))
    by = {name: [next(results) for _ in ss] for name, ss in seeds.items()}
    failed = []
    for name, outs in claims.items():
        n = len(seeds[name])
        for outcome, sign in outs:
            d = paired_difference(
                np.array([r[outcome] for r in by[name]]), np.array([r[outcome] for r in by["baseline"][:n]])
            )
            if not (sign * d.low > 0 and sign * d.high > 0):
                failed.append(
                    f"{name}: {outcome} {'higher' if sign > 0 else 'lower'}: "
                    f"{d.mean:+.4g} [{d.low:+.4g}, {d.high:+.4g}] over {n} seeds"
                )
    assert not failed, "README directions that do not hold:\n" + "\n".join(failed)
