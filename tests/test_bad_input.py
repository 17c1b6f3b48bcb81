"""Every bad input to ``cxsim run``: exit code 2, one line on stderr that says what to fix, nothing written.

The line reads ``error: <file or option>: <field path> = <value>: <what is allowed>`` (parts
that do not apply, such as the field of a missing file, are left out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import BASELINE_YAML, cxsim

STYLES = ("transformational", "transactional", "laissez_faire", "servant")


@dataclass
class Case:
    id: str
    args: list[str]  # after "run"; {base} is the baseline's absolute path
    files: dict[str, str | bytes] = field(default_factory=dict)  # written into the working folder first
    source: str = ""  # the file or option the line must start with
    path: str | None = None  # the field path, when there is one
    value: str | None = None  # the bad value as shown (repr), when there is one
    needles: tuple[str, ...] = ()  # further text the line must contain (what is allowed)
    out: str = "out/run"  # --out


BASE = f"extends: {BASELINE_YAML}\n"

CASES = [
    Case(
        "boolean-for-a-number",
        ["s.yaml"],
        {"s.yaml": BASE + "policies: {feedback_delay_weeks: true}\n"},
        source="s.yaml",
        path="policies.feedback_delay_weeks",
        value="True",
        needles=("a number, not true or false",),
    ),
    Case(
        "infinite-number",
        ["s.yaml"],
        {"s.yaml": BASE + "parameters: {market: {innovation: .inf}}\n"},
        source="s.yaml",
        path="parameters.market.innovation",
        value="inf",
        needles=("finite number",),
    ),
    Case(
        "name-of-dots",
        ["s.yaml"],
        {"s.yaml": BASE + "name: '..'\n"},
        source="s.yaml",
        path="name",
        value="'..'",
        needles=("outside the results folder",),
    ),
    Case(
        "unknown-key",
        ["s.yaml"],
        {"s.yaml": BASE + "organization: {cross_unit_tie: 0.1}\n"},
        source="s.yaml",
        path="organization.cross_unit_tie",
        needles=("unknown key", "cross_unit_ties"),
    ),
    Case(
        "wrong-type",
        ["s.yaml"],
        {"s.yaml": BASE + "steps: many\n"},
        source="s.yaml",
        path="steps",
        value="'many'",
        needles=("whole number", "5200"),
    ),
    Case(
        "out-of-range",
        ["s.yaml"],
        {"s.yaml": BASE + "organization: {cross_unit_ties: 7.5}\n"},
        source="s.yaml",
        path="organization.cross_unit_ties",
        value="7.5",
        needles=("allowed",),
    ),
    Case(
        "missing-extends-target",
        ["s.yaml"],
        {"s.yaml": "extends: nothere.yaml\nsteps: 30\n"},
        source="s.yaml",
        path="extends",
        value="'nothere.yaml'",
        needles=("no such scenario file",),
    ),
    Case(
        "circular-extends",
        ["a.yaml"],
        {"a.yaml": "extends: b.yaml\nname: a\n", "b.yaml": "extends: a.yaml\nname: b\n"},
        source="b.yaml",
        path="extends",
        value="'a.yaml'",
        needles=("circular", "a.yaml -> b.yaml -> a.yaml"),
    ),
    Case(
        "self-extends",
        ["s.yaml"],
        {"s.yaml": "extends: s.yaml\n"},
        source="s.yaml",
        path="extends",
        value="'s.yaml'",
        needles=("circular",),
    ),
    Case(
        "malformed-yaml",
        ["s.yaml"],
        {"s.yaml": BASE + "organization: {units: {sales: {employees: 3}\n  x: [\n"},
        source="s.yaml",
        needles=("malformed YAML", "line 3"),
    ),
    Case(
        "not-a-mapping",
        ["s.yaml"],
        {"s.yaml": "- steps\n- 30\n"},
        source="s.yaml",
        needles=("mapping",),
    ),
    Case(
        "not-utf8",
        ["s.yaml"],
        {"s.yaml": b"name: caf\xe9\xff\n"},
        source="s.yaml",
        needles=("UTF-8",),
    ),
    Case(
        "unknown-leader-style",
        ["s.yaml"],
        {"s.yaml": BASE + "organization:\n  units:\n    sales: {leader: charismatic}\n"},
        source="s.yaml",
        path="organization.units.sales.leader.style",
        value="'charismatic'",
        needles=STYLES,
    ),
    Case(
        "warmup-not-shorter-than-steps",
        ["s.yaml"],
        {"s.yaml": BASE + "steps: 20\nwarmup: 20\n"},
        source="s.yaml",
        path="warmup",
        value="20",
        needles=("steps (20)",),
    ),
    Case(
        "steps-option-shorter-than-warmup",
        ["{base}", "--steps", "10"],
        source="--steps",
        path="steps",
        value="10",
        needles=("warmup (26)",),
    ),
    Case(
        "set-unknown-path",
        ["{base}", "--set", "organization.nope=1"],
        source="--set organization.nope=1",
        path="organization.nope",
        needles=("no such setting", "cross_unit_ties"),
    ),
    Case(
        "set-out-of-range",
        ["{base}", "--set", "organization.cross_unit_ties=7.5"],
        source="--set",
        path="organization.cross_unit_ties",
        value="7.5",
        needles=("allowed",),
    ),
    Case(
        "set-section-out-of-range",
        ["{base}", "--set", "organization.units.sales={employees: 0, capacity: 3}"],
        source="--set",
        path="organization.units.sales.employees",
        value="0",
        needles=("200000",),
    ),
    Case(
        "set-without-value",
        ["{base}", "--set", "organization.cross_unit_ties"],
        source="--set",
        value="'organization.cross_unit_ties'",
        needles=("key.path=value",),
    ),
    Case(
        "seed-not-a-number",
        ["{base}", "--seed", "abc"],
        source="--seed",
        value="'abc'",
        needles=("integer",),
    ),
    Case(
        "negative-seed",
        ["{base}", "--seed", "-1"],
        source="--seed",
        path="seed",
        value="-1",
        needles=("from 0",),
    ),
    Case("scenario-file-missing", ["nothere.yaml"], source="nothere.yaml", needles=("not found",)),
    Case(
        "out-is-a-file",
        ["{base}", "--steps", "30"],
        {"taken": "not a folder\n"},
        source="--out",
        value="'taken'",
        needles=("file",),
        out="taken",
    ),
    Case(
        "out-is-a-foreign-folder",
        ["{base}", "--steps", "30"],
        {"mine/notes.txt": "keep me\n"},
        source="--out",
        value="'mine'",
        needles=("not a cxsim result",),
        out="mine",
    ),
]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} | {
        str(p.relative_to(folder)) + "/": b"" for p in folder.rglob("*") if p.is_dir()
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path: Path):
    for name, content in case.files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    before = snapshot(tmp_path)
    args = [a.replace("{base}", str(BASELINE_YAML)) for a in case.args]

    proc = cxsim("run", *args, "--out", case.out, cwd=tmp_path)

    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert proc.stderr == line + "\n"
    # error: <source>[: <path>][ = <value>]: <allowed>
    head = (
        f"error: {case.source}" + (f": {case.path}" if case.path else "") + (f" = {case.value}" if case.value else "")
    )
    assert line.startswith(head + ": "), f"{line!r} does not start with {head!r}"
    allowed = line[len(head) + 2 :]
    assert allowed.strip()
    for needle in case.needles:
        assert needle in allowed, f"{needle!r} missing from {line!r}"
    # nothing written: the working folder is exactly as before
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "value"),
    [
        (["--set", "organization.cross_unit_ties=7.5"], "7.5"),
        (["--set", "policies.survey_coverage=-0.25"], "-0.25"),
    ],
    ids=["ties", "coverage"],
)
def test_out_of_range_names_the_range(args, value, tmp_path):
    """Out of range mentions the value and both bounds of the allowed range, 0 and 1."""
    proc = cxsim("run", str(BASELINE_YAML), *args, "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2
    tail = proc.stderr.split(f" = {value}: ", 1)[1]
    assert re.findall(r"-?\d+(?:\.\d+)?", tail)[:2] == ["0", "1"], proc.stderr


def test_out_of_range_in_a_file_names_the_range(tmp_path):
    (tmp_path / "s.yaml").write_text(BASE + "organization: {cross_unit_ties: 7.5}\n")
    proc = cxsim("run", "s.yaml", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2
    tail = proc.stderr.split(" = 7.5: ", 1)[1]
    assert re.findall(r"-?\d+(?:\.\d+)?", tail)[:2] == ["0", "1"], proc.stderr
