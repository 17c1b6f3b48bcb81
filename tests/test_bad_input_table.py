"""A generated table of bad inputs: scenario files, experiment specs and command-line options.

Every case must end the same way: exit code 2, exactly one line on stderr that starts with
``error: ``, no traceback, nothing written in the working folder, within a time and a memory
bound. Most cases run in-process through the CLI entry point (fast); a sample runs as real
``cxsim`` processes under an address-space limit, as a user would meet them.

Part of the table is generated from the scenario schema: for every numeric field one value
below and one above its bounds, for every whole-number field ``.nan``, ``'40'``, ``40.0`` and a
fraction, for every third other number ``.nan`` and a quoted number, for every boolean ``yes``,
``on``, ``1`` and ``'true'``, for every section an unknown key and a value that is not a section.
"""

from __future__ import annotations

import faulthandler
import io
import os
import resource
import signal
import subprocess
import sys
import time
import traceback
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import BASELINE_YAML, SCENARIOS

from sim.cli import main
from sim.scenario.schema import Scenario, field_bounds, submodel

TIME_LIMIT = 10.0  # seconds per case
MEMORY_LIMIT = 2 << 30  # bytes of address space a case may add (in-process) or use (subprocess)

BASE = str(BASELINE_YAML)
OTHER = str(SCENARIOS / "empowerment.yaml")


@dataclass
class Bad:
    """One bad input: a command line (after ``cxsim``), the files it needs, what the line must say."""

    id: str
    args: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    needles: tuple[str, ...] = ()  # text the error line must contain
    absent: tuple[str, ...] = ()  # text it must not contain (another file's content)
    links: dict[str, str] = field(default_factory=dict)  # symbolic links made in the working folder


CASES: list[Bad] = []


def add(case: Bad) -> None:
    CASES.append(case)


def scenario_case(
    id: str,
    text: str | bytes,
    *needles: str,
    absent: tuple[str, ...] = (),
    source: str = "s.yaml",
    **files: str | bytes,
) -> None:
    """``cxsim run s.yaml`` with ``s.yaml`` holding ``text`` (and further files next to it).

    The line must start with ``source``: the file at fault (``s.yaml`` or a file it extends).
    """
    add(Bad(f"scenario-{id}", ["run", "s.yaml"], {"s.yaml": text, **files}, (f"error: {source}", *needles), absent))


def flow(path: list[str], value: str) -> str:
    """``a: {b: {c: value}}`` for the key path a.b.c, the value written as given."""
    text = value
    for part in reversed(path[1:]):
        text = f"{{{part}: {text}}}"
    return f"{path[0]}: {text}\n"


# --------------------------------------------------------------------------- generated from the schema
def leaves(cls: type, prefix: list[str]) -> Iterator[tuple[list[str], Any]]:
    for name, info in cls.model_fields.items():
        sub = submodel(info)
        if sub is not None:
            yield from leaves(sub, [*prefix, name])
        else:
            yield [*prefix, name], info


def sections(cls: type, prefix: list[str]) -> Iterator[tuple[list[str], type]]:
    for name, info in cls.model_fields.items():
        sub = submodel(info)
        if sub is not None:
            yield [*prefix, name], sub
            yield from sections(sub, [*prefix, name])


def base_type(info: Any) -> Any:
    ann = info.annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)] if isinstance(ann, types.UnionType) else [ann]
    return args[0] if len(args) == 1 else None


def generated_field_cases() -> None:
    for number, (path, info) in enumerate(leaves(Scenario, [])):
        dotted = ".".join(path)
        kind = base_type(info)
        if kind in (int, float):
            lo, lo_open, hi, hi_open = field_bounds(info)
            step = 1 if kind is int else 0.5
            if lo is not None:
                below = lo if lo_open else lo - step
                scenario_case(f"{dotted}-below", flow(path, repr(below)), dotted, "out of range")
            if hi is not None:
                above = hi if hi_open else hi + step
                if kind is int and above >= 2**63:
                    above = 2**64  # far beyond: also beyond a 64-bit integer
                scenario_case(f"{dotted}-above", flow(path, repr(above)), dotted, "out of range")
            if kind is int or number % 3 == 0:  # every whole-number field, every third number field
                scenario_case(f"{dotted}-nan", flow(path, ".nan"), dotted)
                scenario_case(f"{dotted}-quoted", flow(path, "'1'"), dotted, "without quotes")
            if kind is int:
                scenario_case(f"{dotted}-fraction", flow(path, "2.5"), dotted, "whole number")
                scenario_case(f"{dotted}-whole-float", flow(path, "40.0"), dotted, "whole number", "decimal point")
                scenario_case(f"{dotted}-quoted-40", flow(path, "'40'"), dotted, "whole number", "without quotes")
        elif kind is bool:
            for text in ("yes", "on", "1", "'true'", "True!"):
                scenario_case(f"{dotted}-{text}", flow(path, text), dotted, "true or false")
        elif typing.get_origin(kind) is typing.Literal:
            scenario_case(f"{dotted}-unknown", flow(path, "charismatic"), dotted, "allowed")
            scenario_case(f"{dotted}-number", flow(path, "3"), dotted)
    for path, cls in sections(Scenario, []):
        dotted = ".".join(path)
        scenario_case(f"{dotted}-unknown-key", flow([*path, "no_such_key"], "1"), f"{dotted}.no_such_key", "unknown")
        scenario_case(f"{dotted}-list", flow(path, "[1, 2]"), dotted)
        if cls.__name__ != "LeaderSpec":  # a leader may be written as a style name
            scenario_case(f"{dotted}-text", flow(path, "some_text"), dotted)


generated_field_cases()

# --------------------------------------------------------------------------- scenario files by hand
BOMB = "".join(
    [f"l0: &l0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)]
)
BOMB_FLOW = "{" + ", ".join(line.replace("\n", "") for line in BOMB.splitlines()) + "}"
#: within the reader's bounds (about 17,000 values once expanded): refused by validation, shown cut short
SMALL_BOMB = (
    "[&x0 [" + ", ".join(["1"] * 25) + "], &x1 [" + ", ".join(["*x0"] * 25) + "], [" + ", ".join(["*x1"] * 25) + "]]"
)
SECRET = "SECRET-TOKEN-47"

scenario_case("nested-500-flow", "description: " + "[" * 500 + "]" * 500 + "\n", "nested")
scenario_case("nested-3000-flow", "description: " + "[" * 3000 + "]" * 3000 + "\n", "nesting")
scenario_case("nested-3000-mapping", "description: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", "nested")
scenario_case("nested-500-block", "".join("  " * i + f"k{i}:\n" for i in range(500)) + "  " * 500 + "x: 1\n", "nested")
scenario_case("nested-500-list-block", "".join("  " * i + "-\n" for i in range(500)) + "  " * 500 + "- 1\n", "nested")
scenario_case("alias-bomb-description", BOMB + "description: *l9\n", "aliases")
scenario_case("alias-bomb-employees", BOMB + "organization: {units: {sales: {employees: *l9}}}\n", "aliases")
scenario_case("alias-bomb-merge", BOMB + "organization:\n  <<: *l9\n", "aliases")
scenario_case("alias-within-bounds-description", f"description: {SMALL_BOMB}\n", "description", "text")
scenario_case(
    "alias-within-bounds-employees",
    flow(["organization", "units", "sales", "employees"], SMALL_BOMB),
    "organization.units.sales.employees",
    "whole number",
)
scenario_case("alias-bomb-flow", f"description: {BOMB_FLOW}\n", "aliases")
scenario_case("alias-recursive", "description: &a [1, *a]\n", "contains itself")
scenario_case("alias-undefined", "description: *nothere\n", "undefined alias")
scenario_case("alias-too-many", "a: &a 1\nb: [" + ", ".join(["*a"] * 150) + "]\n", "aliases")
scenario_case(
    "alias-deep-through-aliases",
    "a: &a " + "[" * 40 + "1" + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n",
    "nested",
)
scenario_case("too-many-values", "description: [" + ", ".join(["1"] * 30_000) + "]\n", "values")
scenario_case("file-above-1-MiB", "# " + "x" * (1 << 20) + "\nname: big\n", "bytes")
scenario_case("empty-file", "", "empty")
scenario_case("only-whitespace", "  \n\n   \n", "empty")
scenario_case("only-comments", "# nothing here\n# at all\n", "empty")
scenario_case("only-document-marker", "---\n", "empty")
scenario_case("null-document", "null\n", "empty")
scenario_case("list-at-top-level", "- steps\n- 30\n", "mapping")
scenario_case("scalar-at-top-level", "just text\n", "mapping")
scenario_case("number-at-top-level", "42\n", "mapping")
scenario_case("two-documents", "name: a\n---\nname: b\n", "single document")
scenario_case("binary-png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "UTF-8")
scenario_case("binary-zeros", b"\x00" * 4096, "control character")
scenario_case("binary-elf", b"\x7fELF\x02\x01\x01" + bytes(200), "control character")
scenario_case("latin-1", "name: café\n".encode("latin-1"), "UTF-8")
scenario_case("utf-16", "name: x\n".encode("utf-16"), "UTF-8")
scenario_case("control-character", "name: a\x07b\n", "control character")
scenario_case("tab-indentation", "organization:\n\tcross_unit_ties: 0.1\n", "malformed YAML", "line 2")
scenario_case("unclosed-bracket", "organization: {units: {sales: {employees: 3}\n  x: [\n", "malformed YAML")
scenario_case("bad-indentation", "organization:\n  cross_unit_ties: 0.1\n meeting_every_weeks: 2\n", "malformed YAML")
scenario_case("duplicate-top-level-key", "steps: 30\nwarmup: 4\nsteps: 40\n", "steps", "duplicate key", "line 1")
scenario_case(
    "duplicate-nested-key",
    "organization:\n  cross_unit_ties: 0.1\n  cross_unit_ties: 0.2\n",
    "organization.cross_unit_ties",
    "duplicate key",
)
scenario_case(
    "duplicate-flow-key", "policies: {empowerment: true, empowerment: false}\n", "policies.empowerment", "duplicate"
)
scenario_case(
    "duplicate-parameter",
    "parameters:\n  engagement:\n    noise_sd: 0.01\n    noise_sd: 0.02\n",
    "parameters.engagement.noise_sd",
    "duplicate",
)
scenario_case(
    "duplicate-section", "policies: {empowerment: true}\npolicies: {user_stories: true}\n", "policies", "duplicate"
)
scenario_case("tag-python-object", "description: !!python/object/apply:os.system ['echo hi']\n", "malformed YAML")
scenario_case("tag-python-name", "description: !!python/name:os.system\n", "malformed YAML")
scenario_case("tag-unknown", "description: !foo bar\n", "malformed YAML")
scenario_case("tag-binary", "description: !!binary aGVsbG8=\n", "description")
scenario_case("tag-set", "description: !!set {a, b}\n", "description")
scenario_case("tag-bad-timestamp", "description: !!timestamp not-a-date\n", "malformed YAML")
scenario_case("tag-bad-float", "seed: !!float abc\n", "malformed YAML")
scenario_case("huge-whole-number", "customers: {accounts: " + "9" * 5000 + "}\n", "digits")
scenario_case("big-whole-number", "customers: {accounts: " + "9" * 40 + "}\n", "customers.accounts", "out of range")
scenario_case("seed-infinite", "seed: .inf\n", "seed")
scenario_case("seed-overflowing-float", "seed: 1e400\n", "seed")
scenario_case("steps-exponent", "steps: 1e2\n", "steps", "whole number")
scenario_case("steps-octal-looking", "steps: 0100\n", "steps", "leading zeros")
scenario_case("steps-sexagesimal", "steps: 1:30\n", "steps")
scenario_case("warmup-not-shorter", "steps: 20\nwarmup: 20\n", "warmup", "steps (20)")
scenario_case("ties-odd", "organization: {ties_per_employee: 5}\n", "ties_per_employee", "even")
scenario_case("segment-shares", "customers: {segments: {small: {share: 0.9}}}\n", "customers.segments", "add up to 1")
scenario_case("market-too-small", "customers: {accounts: 5000}\n", "customers", "market_potential", "5,080")
scenario_case("name-300-characters", f"name: {'n' * 300}\n", "name", "at most 100 characters")
scenario_case("name-101-characters", f"name: {'n' * 101}\n", "name", "at most 100 characters")
scenario_case("name-dot", "name: '.'\n", "name", "outside the results folder")
scenario_case("name-dots", "name: '..'\n", "name", "outside the results folder")
scenario_case("name-path", "name: ../escape\n", "name", "letters, digits")
scenario_case("name-absolute", "name: /tmp/x\n", "name", "letters, digits")
scenario_case("name-empty", "name: ''\n", "name")
scenario_case("name-space", "name: a b\n", "name")
scenario_case("name-number", "name: 5\n", "name", "text")
scenario_case("name-list", "name: [a, b]\n", "name")
scenario_case("description-number", "description: 5\n", "description", "text")
scenario_case("description-mapping", "description: {a: 1}\n", "description")
scenario_case("leader-number", "organization: {units: {sales: {leader: 5}}}\n", "organization.units.sales.leader")
scenario_case("unknown-top-level-key", "stepz: 30\n", "stepz", "unknown key", "steps")
scenario_case("key-not-text", "1: 2\n", "unknown")
scenario_case("extends-etc-shadow", "extends: /etc/shadow\n", "extends", ".yaml", absent=("root:",))
scenario_case("extends-etc-passwd", "extends: /etc/passwd\n", "extends", ".yaml", absent=("root:",))
scenario_case("extends-dev-zero", "extends: /dev/zero\n", "extends", ".yaml")
scenario_case("extends-dev-urandom", "extends: /dev/urandom\n", "extends", ".yaml")
scenario_case("extends-proc-environ", "extends: /proc/self/environ\n", "extends", ".yaml")
scenario_case(
    "extends-text-file", "extends: secret.txt\n", "extends", ".yaml", absent=(SECRET,), **{"secret.txt": SECRET}
)
scenario_case("extends-folder", "extends: folder.yaml\n", "extends", **{"folder.yaml/x": "x"})
scenario_case("extends-missing", "extends: nothere.yaml\n", "extends", "no such scenario file")
scenario_case("extends-empty", "extends: ''\n", "extends", ".yaml")
scenario_case("extends-number", "extends: 5\n", "extends", ".yaml")
scenario_case("extends-list", f"extends: [{BASE}]\n", "extends", ".yaml")
scenario_case("extends-null-byte", 'extends: "a\\0.yaml"\n', "extends")
scenario_case("extends-self", "extends: s.yaml\n", "circular")
PARENT = {"source": "parent.yaml", "absent": (SECRET,)}
scenario_case(
    "extends-parent-malformed",
    "extends: parent.yaml\n",
    "malformed YAML",
    **PARENT,
    **{"parent.yaml": f"{SECRET}: [x\n"},
)
scenario_case(
    "extends-parent-alias", "extends: parent.yaml\n", "undefined", **PARENT, **{"parent.yaml": f"a: *{SECRET}\n"}
)
scenario_case(
    "extends-parent-tag", "extends: parent.yaml\n", "malformed", **PARENT, **{"parent.yaml": f"a: !{SECRET} 1\n"}
)
scenario_case("extends-parent-empty", "extends: parent.yaml\n", "empty", **PARENT, **{"parent.yaml": ""})
scenario_case("extends-parent-list", "extends: parent.yaml\n", "mapping", **PARENT, **{"parent.yaml": "- 1\n"})
scenario_case("extends-parent-binary", "extends: parent.yaml\n", "UTF-8", **PARENT, **{"parent.yaml": b"name: \xff\n"})
scenario_case(
    "extends-chain-too-long",
    "extends: c0.yaml\n",
    "extends",
    "at most",
    source="c",
    **{f"c{i}.yaml": f"extends: c{i + 1}.yaml\n" for i in range(30)},
    **{"c30.yaml": "name: end\n"},
)
add(
    Bad(
        "scenario-extends-link-to-secret",
        ["run", "s.yaml"],
        {"s.yaml": "extends: link.yaml\n", "secret.txt": f"{SECRET}: 1\n"},
        ("s.yaml", "extends", "not YAML"),
        (SECRET,),
        links={"link.yaml": "secret.txt"},
    )
)
add(
    Bad(
        "scenario-extends-link-loop",
        ["run", "s.yaml"],
        {"s.yaml": "extends: loop.yaml\n"},
        ("s.yaml", "extends"),
        links={"loop.yaml": "loop.yaml"},
    )
)
# timed events and channel preferences: checked on load, against the run and the keys that can change mid-run
EV = "events: [{at: 9, set: {%s}}]\n"
scenario_case("events-week-beyond-run", "events: [{at: 200, set: {policies.empowerment: true}}]\n", "events.0.at")
scenario_case("events-week-zero", "events: [{at: 0, set: {policies.empowerment: true}}]\n", "events.0.at", "range")
scenario_case("events-week-text", "events: [{at: soon, set: {policies.empowerment: true}}]\n", "events.0.at")
scenario_case("events-until-before-at", "events: [{at: 9, until: 3, set: {policies.x: 1}}]\n", "events.0.until")
scenario_case("events-no-set", "events: [{at: 9}]\n", "events.0.set", "missing")
scenario_case("events-empty-set", "events: [{at: 9, set: {}}]\n", "events.0.set", "at least 1")
scenario_case("events-set-list", "events: [{at: 9, set: [a]}]\n", "events.0.set")
scenario_case("events-not-a-list", "events: {at: 9}\n", "events", "list")
scenario_case("events-item-not-a-mapping", "events: [9]\n", "events.0")
scenario_case("events-unknown-field", "events: [{at: 9, when: 2, set: {policies.x: 1}}]\n", "events.0.when", "until")
scenario_case("events-unknown-key", EV % "policies.empowerement: true", "events.0.set.policies.empowerement")
scenario_case("events-key-into-a-value", EV % "policies.empowerment.x: true", "events.0.set.policies.empowerment.x")
scenario_case("events-headcount", EV % "organization.units.delivery.employees: 3", "during a run")
scenario_case("events-network", EV % "organization.ties_per_employee: 4", "during a run")
scenario_case("events-horizon", EV % "steps: 40", "events.0.set.steps", "during a run")
scenario_case("events-initial-base", EV % "customers.accounts: 40", "events.0.set.customers.accounts")
scenario_case("events-headcount-in-section", EV % "organization.units.delivery: {employees: 9}", "would change")
scenario_case("events-value-range", EV % "policies.survey_coverage: 2", "events.0.set.policies.survey_coverage")
scenario_case("events-value-type", EV % "policies.empowerment: 'true'", "true or false")
scenario_case("events-value-nan", EV % "organization.units.delivery.capacity: .nan", "capacity")
scenario_case("events-shares", EV % "channels.delivery.chat.share: 0.9", "add up to 1")
scenario_case("events-too-many", "events: [" + ", ".join(["{at: 2, set: {policies.x: 1}}"] * 101) + "]\n", "at most")
PREF = "customers: {segments: {enterprise: {channel_preference: %s}}}\n"
scenario_case("preference-unknown-channel", PREF % "{delivery.fax: 2}", "channel_preference", "delivery.chat")
scenario_case("preference-stage-only", PREF % "{delivery: 2}", "channel_preference", "allowed keys")
scenario_case("preference-negative", PREF % "{delivery.chat: -1}", "channel_preference", "0 to 100")
scenario_case("preference-huge", PREF % "{delivery.chat: 1e9}", "channel_preference", "0 to 100")
scenario_case("preference-text", PREF % "{delivery.chat: lots}", "channel_preference", "number")
scenario_case("preference-list", PREF % "[delivery.chat]", "channel_preference")
scenario_case("preference-no-channel-left", PREF % "{maintenance.email_tickets: 0}", "no channel in stage")
add(
    Bad(
        "run-steps-below-an-event",
        ["run", str(SCENARIOS / "capacity_shock.yaml"), "--steps", "40", "--no-figures"],
        needles=("error: --steps", "events.0.at = 52"),
    )
)
add(Bad("scenario-file-missing", ["run", "nothere.yaml"], needles=("nothere.yaml", "not found")))
add(Bad("scenario-file-is-folder", ["run", "folder"], {"folder/x": "x"}, ("folder", "folder")))
add(Bad("scenario-file-dev-zero", ["run", "/dev/zero"], needles=("/dev/zero", "regular file")))
add(Bad("scenario-file-name-too-long", ["run", "n" * 300 + ".yaml"], needles=("not found",)))
add(Bad("scenario-file-path-too-long", ["run", "/".join(["d" * 200] * 25) + ".yaml"], needles=("not found",)))

# --------------------------------------------------------------------------- run options
RUN = ["run", BASE]
RUN_SMALL = [*RUN, "--steps", "30", "--no-figures"]  # small, should a bad --out be accepted
for option, value, *needles in [
    ("--steps", "0", "steps"),
    ("--steps", "-1", "steps"),
    ("--steps", "5201", "steps"),
    ("--steps", "10", "warmup"),
    ("--steps", "abc", "--steps"),
    ("--steps", "1.5", "--steps"),
    ("--steps", "", "--steps"),
    ("--seed", "-1", "seed"),
    ("--seed", str(2**63), "seed"),
    ("--seed", str(2**64), "seed"),
    ("--seed", "1" * 5000, "--seed"),
    ("--seed", "abc", "--seed"),
    ("--seed", "nan", "--seed"),
    ("--set", "organization.cross_unit_ties=7.5", "organization.cross_unit_ties"),
    ("--set", "organization.cross_unit_ties=.nan", "organization.cross_unit_ties"),
    ("--set", "organization.cross_unit_ties=abc", "organization.cross_unit_ties"),
    ("--set", "organization.nope=1", "no such setting"),
    ("--set", "organization..units=1", "no such setting"),
    ("--set", "=1", "no such setting"),
    ("--set", "organization.cross_unit_ties", "key.path=value"),
    ("--set", "policies.empowerment=yes", "policies.empowerment", "true or false"),
    ("--set", "policies.empowerment=on", "policies.empowerment", "true or false"),
    ("--set", "policies.empowerment=1", "policies.empowerment", "true or false"),
    ("--set", "policies.empowerment='true'", "policies.empowerment", "true or false"),
    ("--set", "customers.accounts='40'", "customers.accounts", "whole number"),
    ("--set", "customers.accounts=40.5", "customers.accounts", "whole number"),
    ("--set", "customers.accounts=1e3", "customers.accounts", "whole number"),
    ("--set", "customers.accounts=-1", "customers.accounts", "out of range"),
    ("--set", "organization.units.sales.leader=charismatic", "leader"),
    ("--set", "organization.units.sales={employees: 0}", "employees"),
    ("--set", "organization.units.sales.employees=" + "[" * 3000 + "]" * 3000, "employees"),
    ("--set", "organization.units.sales.employees={a: 1, a: 2}", "duplicate"),
    ("--set", "description=" + BOMB_FLOW, "aliases"),
    ("--set", "name=" + "n" * 300, "name", "at most 100"),
    ("--set", "name=../x", "name"),
    ("--set", "name=.", "name"),
    ("--set", "seed=-5", "seed"),
    ("--set", "steps=0", "steps"),
    ("--set", "parameters.engagement=5", "parameters.engagement"),
    ("--set", "parameters.engagement.noise_sd.x=1", "no such setting"),
    ("--set", "x" * 5000 + "=1", "no such setting"),
    ("--set", "policies.survey_coverage=\x07", "policies.survey_coverage"),
]:
    add(Bad(f"run-{option[2:]}-{value[:40]}", [*RUN, option, value, "--no-figures"], needles=tuple(needles)))
add(Bad("run-unknown-option", [*RUN, "--bogus"], needles=("--bogus",)))
add(Bad("run-missing-argument", ["run"], needles=("scenario",)))
add(Bad("unknown-command", ["frobnicate"], needles=("frobnicate",)))
add(Bad("run-out-is-a-file", [*RUN_SMALL, "--out", "taken"], {"taken": "mine\n"}, ("--out", "file")))
add(
    Bad("run-out-foreign-folder", [*RUN_SMALL, "--out", "mine"], {"mine/notes.txt": "keep\n"}, ("--out", "not a cxsim"))
)
add(Bad("run-out-under-a-file", [*RUN_SMALL, "--out", "taken/sub"], {"taken": "mine\n"}, ("--out",)))
add(Bad("run-out-current-folder", [*RUN_SMALL, "--out", "."], needles=("--out",)))
add(Bad("run-out-parent-folder", [*RUN_SMALL, "--out", ".."], needles=("--out",)))
add(Bad("run-out-proc", [*RUN_SMALL, "--out", "/proc/cxsim-out"], needles=("--out",)))
add(Bad("run-out-sys", [*RUN_SMALL, "--out", "/sys/cxsim-out"], needles=("--out",)))
add(Bad("run-out-name-too-long", [*RUN_SMALL, "--out", "o" * 300], needles=("--out",)))
add(Bad("run-out-looping-link", [*RUN_SMALL, "--out", "loop/x"], needles=("--out",), links={"loop": "loop"}))
add(
    Bad(
        "run-out-own-result-of-other-kind",
        [*RUN_SMALL, "--out", "done"],
        {"done/manifest.json": '{"experiment": {}}', "done/mine.txt": "keep\n"},
        ("--out",),
    )
)

# --------------------------------------------------------------------------- experiment specs
SPEC = f"name: t\nscenario: {BASE}\nsteps: 30\nreplications: 1\n"
SPEC_GRID = SPEC + "grid:\n  organization.cross_unit_ties: [0.0, 0.1]\n"


def spec_case(id: str, text: str | bytes, *needles: str, absent: tuple[str, ...] = (), **files: str) -> None:
    """``cxsim batch spec.yaml --workers 1`` with ``spec.yaml`` holding ``text``."""
    add(
        Bad(
            f"spec-{id}",
            ["batch", "spec.yaml", "--workers", "1", "--no-progress"],
            {"spec.yaml": text, **files},
            ("spec.yaml", *needles),
            absent,
        )
    )


spec_case("outcomes-empty", SPEC + "outcomes: []\n", "outcomes", "at least one")
spec_case("outcomes-unknown", SPEC + "outcomes: [happiness]\n", "outcomes", "happiness")
spec_case("outcomes-twice", SPEC + "outcomes: [nps, nps]\n", "outcomes", "once")
spec_case("outcomes-text", SPEC + "outcomes: nps\n", "outcomes", "list")
spec_case("name-dot", SPEC.replace("name: t", "name: '.'"), "name", "outside the results folder")
spec_case("name-dots", SPEC.replace("name: t", "name: '..'"), "name", "outside the results folder")
spec_case("name-path", SPEC.replace("name: t", "name: a/b"), "name", "letters")
spec_case("name-parent-path", SPEC.replace("name: t", "name: ../up"), "name", "letters")
spec_case("name-300", SPEC.replace("name: t", f"name: {'n' * 300}"), "name", "at most 100")
spec_case("name-empty", SPEC.replace("name: t", "name: ''"), "name")
spec_case("name-number", SPEC.replace("name: t", "name: 5"), "name", "text")
spec_case("name-missing", SPEC.replace("name: t\n", ""), "name", "required")
spec_case("scenario-missing", "name: t\nsteps: 30\n", "scenario", "required")
spec_case("scenario-etc-shadow", SPEC.replace(BASE, "/etc/shadow"), "scenario", ".yaml", absent=("root:",))
spec_case("scenario-dev-zero", SPEC.replace(BASE, "/dev/zero"), "scenario", ".yaml")
spec_case("scenario-not-there", SPEC.replace(BASE, "nothere.yaml"), "scenario", "no such scenario file")
spec_case(
    "scenario-text-file",
    SPEC.replace(BASE, "secret.txt"),
    "scenario",
    ".yaml",
    absent=(SECRET,),
    **{"secret.txt": SECRET},
)
spec_case("scenario-number", SPEC.replace(BASE, "5"), "scenario", "text")
spec_case(
    "scenario-bad-content",
    SPEC.replace(BASE, "bad.yaml"),
    "scenario bad.yaml",
    "cross_unit_ties",
    **{"bad.yaml": "organization: {cross_unit_ties: 7.5}\n"},
)
spec_case("unknown-key", SPEC + "bogus: 1\n", "bogus", "unknown key")
spec_case("duplicate-key", SPEC + "replications: 2\n", "replications", "duplicate key")
spec_case(
    "duplicate-grid-factor",
    SPEC_GRID + "  organization.cross_unit_ties: [0.2]\n",
    "grid.organization.cross_unit_ties",
    "duplicate",
)
for key, value, *needles in [
    ("replications", "0", "out of range"),
    ("replications", "-1", "out of range"),
    ("replications", "'10'", "whole number", "without quotes"),
    ("replications", "10.5", "whole number"),
    ("replications", "10.0", "whole number"),
    ("replications", "100001", "out of range"),
    ("replications", "true", ""),
    ("replications", ".inf", ""),
    ("seed", "-1", "out of range"),
    ("seed", str(2**63), "out of range"),
    ("seed", "x", "whole number"),
    ("seed", "1.5", "whole number"),
    ("steps", "0", "out of range"),
    ("steps", "5201", "out of range"),
    ("steps", "'30'", "whole number"),
    ("steps", "30.0", "whole number"),
    ("timeseries", "yes", "true, false"),
    ("timeseries", "5", "true, false"),
    ("timeseries", "'true'", "true, false"),
    ("timeseries", "[nps, nps]", "once"),
    ("description", "[a]", "text"),
]:
    text = "".join(line for line in SPEC.splitlines(keepends=True) if not line.startswith(f"{key}:"))
    spec_case(f"{key}-{value}", text + f"{key}: {value}\n", key, *[n for n in needles if n])
spec_case("cases-number", SPEC + "cases: 5\n", "cases")
spec_case("cases-list", SPEC + "cases: [a, b]\n", "cases")
spec_case("case-etc-shadow", SPEC + "cases: {a: /etc/shadow}\n", "cases.a", ".yaml", absent=("root:",))
spec_case("case-missing-file", SPEC + "cases: {a: nothere.yaml}\n", "cases.a", "no such scenario file")
spec_case("case-unknown-key", SPEC + "cases: {a: {bogus: 1}}\n", "cases.a.bogus", "unknown key")
spec_case("case-scenario-number", SPEC + "cases: {a: {scenario: 5}}\n", "cases.a.scenario")
spec_case("case-set-unknown-path", SPEC + "cases: {a: {set: {organization.nope: 1}}}\n", "no such setting")
spec_case("case-set-seed", SPEC + "cases: {a: {set: {seed: 1}}}\n", "cases.a.set.seed")
spec_case("case-set-out-of-range", SPEC + "cases: {a: {set: {organization.cross_unit_ties: 7.5}}}\n", "7.5")
spec_case(
    "case-set-quoted-number",
    SPEC + "cases: {a: {set: {customers.accounts: '40'}}}\n",
    "customers.accounts",
    "whole number",
)
spec_case(
    "case-set-yes", SPEC + "cases: {a: {set: {policies.empowerment: yes}}}\n", "policies.empowerment", "true or false"
)
spec_case("cases-twins", SPEC + "cases: {a: {set: {organization.cross_unit_ties: 0.05}}, b: {}}\n", "same inputs")
spec_case("cases-set-steps", SPEC + "cases: {a: {set: {steps: 30}}}\n", "cases.a.set.steps")
spec_case(
    "case-set-overlaps-grid",
    SPEC_GRID + "cases: {a: {set: {organization.cross_unit_ties: 0.3}}}\n",
    "cases.a.set.organization.cross_unit_ties",
    "grid.organization.cross_unit_ties",
)
spec_case("grid-empty-levels", SPEC + "grid: {organization.cross_unit_ties: []}\n", "grid", "at least one value")
spec_case(
    "grid-not-a-list", SPEC + "grid: {organization.cross_unit_ties: 0.1}\n", "grid.organization.cross_unit_ties", "list"
)
spec_case("grid-unknown-path", SPEC + "grid: {organization.nope: [1, 2]}\n", "organization.nope", "no such setting")
spec_case(
    "grid-out-of-range",
    SPEC + "grid: {organization.cross_unit_ties: [0.1, 7.5]}\n",
    "grid.organization.cross_unit_ties",
    "7.5",
)
spec_case("grid-bad-style", SPEC + "grid: {organization.units.*.leader: [charismatic]}\n", "laissez_faire")
spec_case("grid-star-on-a-value", SPEC + "grid: {organization.cross_unit_ties.*: [1]}\n", "grid")
spec_case("grid-name", SPEC + "grid: {name: [a, b]}\n", "grid.name")
spec_case("grid-seed", SPEC + "grid: {seed: [1, 2]}\n", "grid.seed")
spec_case("grid-steps-with-spec-steps", SPEC + "grid: {steps: [10, 20]}\n", "grid.steps")
spec_case(
    "grid-quoted-number", SPEC + "grid: {customers.accounts: ['40', '50']}\n", "customers.accounts", "whole number"
)
spec_case("grid-yes", SPEC + "grid: {policies.empowerment: [yes, no]}\n", "policies.empowerment", "true or false")
spec_case("grid-twin-levels", SPEC + "grid: {organization.cross_unit_ties: [0.1, 0.1]}\n", "grid", "same inputs")
spec_case(
    "grid-overlapping-leaders",
    SPEC + "grid:\n  organization.units.sales.leader: [servant]\n  organization.units.*.leader: [transformational]\n",
    "grid.organization.units.*.leader",
    "grid.organization.units.sales.leader",
)
spec_case(
    "grid-overlapping-section",
    SPEC + "grid:\n  organization.units.sales: [{employees: 5}]\n  organization.units.sales.employees: [6, 7]\n",
    "grid.organization.units.sales.employees",
    "grid.organization.units.sales",
)
LEVELS60 = "[" + ", ".join(str(i / 100) for i in range(60)) + "]"
spec_case(
    "grid-60x60x60",
    SPEC.replace("replications: 1", "replications: 1")
    + f"grid:\n  organization.cross_unit_ties: {LEVELS60}\n  organization.rewiring: {LEVELS60}\n"
    f"  policies.survey_coverage: {LEVELS60}\n",
    "216,000 runs",
    "--yes",
)
spec_case(
    "grid-just-above-limit",
    SPEC.replace("replications: 1", "replications: 1001")
    + "grid:\n  organization.cross_unit_ties: ["
    + ", ".join(str(i / 1000) for i in range(100))
    + "]\n",
    "100,100 runs",
    "--yes",
)
spec_case("empty", "", "empty")
spec_case("list", "- a\n- b\n", "mapping")
spec_case("binary", bytes(range(256)) * 8, "UTF-8")
spec_case("not-utf8", "name: café\n".encode("latin-1"), "UTF-8")
spec_case("nested-3000", SPEC + "description: " + "[" * 3000 + "]" * 3000 + "\n", "nesting")
spec_case("nested-500-mapping", SPEC + "description: " + "{a: " * 500 + "1" + "}" * 500 + "\n", "nested")
spec_case("alias-bomb", BOMB + SPEC + "description: *l9\n", "aliases")
spec_case("alias-bomb-grid", BOMB + SPEC + "grid: {organization.cross_unit_ties: *l9}\n", "aliases")
spec_case("above-1-MiB", SPEC + "# " + "x" * (1 << 20) + "\n", "bytes")
SAMPLE = (
    "sample:\n  method: {method}\n  samples: {n}\n  parameters:\n    {line}\n    policies.survey_coverage: plausible\n"
)


def sample_case(id: str, line: str, *needles: str, method: str = "lhs", n: int = 8) -> None:
    """``cxsim batch`` on a spec whose sample has one bad entry (the line) next to a good parameter."""
    spec_case(f"sample-{id}", SPEC + SAMPLE.format(method=method, n=n, line=line), *needles)


sample_case("method-unknown", "organization.cross_unit_ties: plausible", "sample.method", "morris", method="anova")
sample_case("method-number", "organization.cross_unit_ties: plausible", "sample.method", method="5")
sample_case("samples-0", "organization.cross_unit_ties: plausible", "sample.samples", n=0)
sample_case("samples-text", "organization.cross_unit_ties: plausible", "sample.samples", n="many")  # type: ignore[arg-type]
sample_case("sobol-not-power-of-2", "organization.cross_unit_ties: plausible", "power of 2", method="sobol", n=100)
sample_case("fast-too-few", "organization.cross_unit_ties: plausible", "interference", method="fast", n=20)
sample_case("low-above-high", "organization.cross_unit_ties: [0.3, 0.1]", "sample.parameters", "below the high end")
sample_case("outside-bounds", "organization.cross_unit_ties: [0.1, 7.5]", "7.5", "outside the allowed range [0, 1]")
sample_case("open-bound", "organization.units.delivery.capacity: [0, 3]", "capacity", "(0, 1000]")
sample_case("text-range", "organization.cross_unit_ties: [a, b]", "cross_unit_ties", "plausible, [low, high]")
sample_case("style-range", "organization.units.sales.leader.style: [0, 1]", "style", "levels")
sample_case("style-bad-level", "organization.units.sales.leader.style: {levels: [servant, boss]}", "boss", "servant")
sample_case("switch-range", "policies.empowerment: [0, 1]", "policies.empowerment", "switch")
sample_case("no-range", "customers.segments.small.channel_preference: plausible", "no plausible range")
sample_case("unknown-key", "organization.nope: plausible", "organization.nope", "no such setting")
sample_case("wildcard", "organization.units.*.capacity: [1, 2]", "'*' is for grids")
sample_case("seed", "seed: [1, 2]", "sample.parameters.seed", "cannot be sampled")
sample_case("odd-ties", "organization.ties_per_employee: [4, 8]", "even", "design row")
sample_case("one-level", "organization.cross_unit_ties: {levels: [0.1]}", "at least 2 different levels")
spec_case(
    "sample-with-grid",
    SPEC_GRID + "sample: {method: lhs, samples: 4, parameters: {policies.survey_coverage: plausible}}\n",
    "sample",
    "not a sample and grid",
)
spec_case("sample-no-parameters", SPEC + "sample: {method: lhs, samples: 4, parameters: {}}\n", "at least 1")
spec_case(
    "sample-option-of-another-method",
    SPEC + "sample: {method: lhs, samples: 4, levels: 4, parameters: {policies.survey_coverage: plausible}}\n",
    "sample.levels",
    "method morris",
)
spec_case(
    "sample-too-many-runs",
    SPEC.replace("replications: 1", "replications: 100")
    + "sample: {method: lhs, samples: 2000, parameters: {policies.survey_coverage: plausible}}\n",
    "200,000 runs (2,000 lhs design rows x 100 replications)",
    "--yes",
)
add(Bad("spec-missing", ["batch", "nothere.yaml", "--workers", "1"], needles=("nothere.yaml", "not found")))
add(Bad("spec-dev-zero", ["batch", "/dev/zero", "--workers", "1"], needles=("/dev/zero",)))
add(Bad("spec-folder", ["batch", "folder", "--workers", "1"], {"folder/x": "x"}, ("folder",)))

# --------------------------------------------------------------------------- batch options
GOOD_SPEC = {"spec.yaml": SPEC_GRID}
BATCH = ["batch", "spec.yaml", "--no-progress"]
for option, value in [("--workers", "0"), ("--workers", "-1"), ("--workers", "abc"), ("--workers", "1.5")]:
    add(Bad(f"batch-{option[2:]}-{value}", [*BATCH, option, value], dict(GOOD_SPEC), ("--workers",)))
for name, out, files, links in [
    ("file", "taken", {"taken": "mine\n"}, {}),
    ("foreign-folder", "mine", {"mine/notes.txt": "keep\n"}, {}),
    ("proc", "/proc/cxsim-out", {}, {}),
    ("sys", "/sys/cxsim-out", {}, {}),
    ("name-too-long", "o" * 300, {}, {}),
    ("looping-link", "loop/x", {}, {"loop": "loop"}),
    ("current-folder", ".", {}, {}),
    ("single-run-folder", "done", {"done/manifest.json": '{"run_id": "x"}', "done/mine.txt": "keep\n"}, {}),
]:
    add(
        Bad(
            f"batch-out-{name}",
            [*BATCH, "--workers", "1", "--out", out],
            {**GOOD_SPEC, **files},
            ("--out",),
            links=links,
        )
    )
add(Bad("batch-unknown-option", [*BATCH, "--bogus"], dict(GOOD_SPEC), ("--bogus",)))

# --------------------------------------------------------------------------- sensitivity
SENSITIVITY_SPEC = {
    "spec.yaml": SPEC
    + "sample:\n  method: morris\n  samples: 2\n  parameters:\n"
    + "    policies.survey_coverage: plausible\n    organization.cross_unit_ties: plausible\n"
}
SENSITIVITY = ["sensitivity", "spec.yaml", "--no-progress"]
for option, value in [("--replications", "0"), ("--replications", "abc"), ("--workers", "0"), ("--scheduler", " ")]:
    add(
        Bad(
            f"sensitivity-{option[2:]}-{value.strip() or 'blank'}",
            [*SENSITIVITY, option, value],
            dict(SENSITIVITY_SPEC),
            (option,),
        )
    )
add(Bad("sensitivity-grid-spec", [*SENSITIVITY, "--workers", "1"], dict(GOOD_SPEC), ("spec.yaml", "needs a sample")))
add(
    Bad(
        "sensitivity-lhs-spec",
        [*SENSITIVITY, "--workers", "1"],
        {"spec.yaml": SPEC + SAMPLE.format(method="lhs", n=4, line="organization.cross_unit_ties: plausible")},
        ("sample.method", "allowed for sensitivity"),
    )
)
add(
    Bad(
        "sensitivity-out-foreign-folder",
        [*SENSITIVITY, "--workers", "1", "--out", "mine"],
        {**SENSITIVITY_SPEC, "mine/notes.txt": "keep\n"},
        ("--out",),
    )
)
add(Bad("sensitivity-missing-spec", ["sensitivity", "nothere.yaml"], needles=("nothere.yaml", "not found")))

# --------------------------------------------------------------------------- compare options
COMPARE_SAFE = {"--reps": "2", "--steps": "30", "--workers": "1"}


def compare_case(
    id: str, extra: list[str], *needles: str, scenarios: tuple[str, ...] = (BASE, OTHER), **files: str
) -> None:
    """``cxsim compare`` with one bad option; the other options keep a wrongly accepted run small."""
    given = {extra[i] for i in range(0, len(extra), 2) if extra[i].startswith("--")}
    safe = [
        x
        for k, v in COMPARE_SAFE.items()
        if k not in given and not (k == "--reps" and "--ci-width" in given)
        for x in (k, v)
    ]
    add(Bad(f"compare-{id}", ["compare", *scenarios, *extra, *safe, "--no-progress"], dict(files), needles))


for value in ("-1", "0", "5201", "abc"):
    compare_case(f"steps-{value}", ["--steps", value], "--steps" if value == "abc" else "steps")
for value in ("-1", str(2**63), str(2**64), "abc"):
    compare_case(f"seed-{value}", ["--seed", value], "seed")
for value in ("-1", "0", "abc"):
    compare_case(f"workers-{value}", ["--workers", value], "--workers")
for value in ("nan", "inf", "-inf", "-1", "0", "abc"):
    compare_case(f"ci-width-{value}", ["--ci-width", value], "--ci-width")
for value in ("0", "1", "-3", "abc"):
    compare_case(f"reps-{value}", ["--reps", value], "--reps")
for value in ("0", "1", "-1"):
    compare_case(f"max-reps-{value}", ["--ci-width", "1", "--max-reps", value], "--max-reps")
compare_case("reps-and-ci-width", ["--reps", "5", "--ci-width", "1"], "--reps")
compare_case("metric-unknown", ["--metric", "happiness"], "--metric", "happiness")
compare_case("metric-empty", ["--metric", ""], "--metric")
compare_case("one-scenario", [], "at least two", scenarios=(BASE,))
compare_case("missing-scenario", [], "nothere.yaml", scenarios=(BASE, "nothere.yaml"))
compare_case("same-names", [], "different names", scenarios=(BASE, BASE))
compare_case(
    "bad-scenario",
    [],
    "bad.yaml",
    "7.5",
    scenarios=(BASE, "bad.yaml"),
    **{"bad.yaml": "organization: {cross_unit_ties: 7.5}\n"},
)
compare_case("scenario-is-text", [], "secret.txt", scenarios=(BASE, "secret.txt"), **{"secret.txt": SECRET})
compare_case(
    "alias-bomb-scenario", [], "aliases", scenarios=(BASE, "bomb.yaml"), **{"bomb.yaml": BOMB + "description: *l9\n"}
)
compare_case("out-is-a-file", ["--out", "taken"], "--out", **{"taken": "mine\n"})
compare_case("out-proc", ["--out", "/proc/cxsim-out"], "--out")
compare_case("out-name-too-long", ["--out", "o" * 300], "--out")

# --------------------------------------------------------------------------- plot
MANIFEST = '{"experiment": {"name": "t", "outcomes": ["nps"], "grid": {}}}'


def runs_table() -> bytes:
    """A small, valid runs table (what a batch writes), so that only the option is at fault."""
    buffer = io.BytesIO()
    pd.DataFrame({"run_id": ["a"], "case": ["base"], "error": [None], "nps": [10.0]}).to_parquet(buffer)
    return buffer.getvalue()


add(Bad("plot-missing-folder", ["plot", "nothere"], needles=("nothere",)))
add(Bad("plot-folder-is-a-file", ["plot", "taken"], {"taken": "x\n"}, ("taken",)))
add(Bad("plot-empty-folder", ["plot", "empty"], {"empty/.keep": ""}, ("empty",)))
add(
    Bad(
        "plot-damaged-parquet",
        ["plot", "res"],
        {"res/runs.parquet": b"not parquet", "res/manifest.json": MANIFEST},
        ("res",),
    )
)
add(Bad("plot-manifest-not-json", ["plot", "res"], {"res/runs.parquet": b"PAR1", "res/manifest.json": "{"}, ("res",)))
add(Bad("plot-manifest-list", ["plot", "res"], {"res/runs.parquet": b"PAR1", "res/manifest.json": "[]"}, ("res",)))
add(
    Bad(
        "plot-unknown-outcome",
        ["plot", "res", "--outcome", "happiness"],
        {
            "res/runs.parquet": runs_table(),
            "res/manifest.json": MANIFEST,
            "res/.cxsim-owned.json": '{"kind": "batch", "files": ["runs.parquet", "manifest.json"]}',
        },
        ("--outcome",),
    )
)


# --------------------------------------------------------------------------- running the cases
def materialise(case: Bad, folder: Path) -> None:
    for name, content in case.files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    for name, target in case.links.items():
        (folder / name).symlink_to(target)


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry below ``folder`` with its content (files), target (links) or nothing (folders)."""
    out: dict[str, bytes | str] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                out[rel + "/"] = b""
            else:
                out[rel] = path.read_bytes()
    return out


def check(case: Bad, code: object, stdout: str, stderr: str, seconds: float, before: dict, after: dict) -> None:
    assert "Traceback" not in stdout + stderr, stderr[-2000:]
    assert code == 2, f"exit {code}: {stderr[-500:]!r}"
    lines = stderr.rstrip("\n").split("\n")
    assert len(lines) == 1, f"{len(lines)} lines on stderr: {stderr[-1000:]!r}"
    line = lines[0]
    assert line.startswith("error: "), line
    for needle in case.needles:
        assert needle in line, f"{needle!r} missing from {line!r}"
    for text in case.absent:
        assert text not in line, f"{text!r} (another file's content) shown in {line!r}"
    assert len(line) < 2000, f"a line of {len(line)} characters"
    assert after == before, f"the working folder changed: {sorted(set(after) ^ set(before))[:10]}"
    assert seconds < TIME_LIMIT, f"{seconds:.1f} s"


def _address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


@contextmanager
def bounded(seconds: float, extra_bytes: int) -> Iterator[None]:
    """Stop the case after ``seconds`` and let it add at most ``extra_bytes`` of address space.

    The alarm interrupts Python code; a case stuck inside C code (e.g. the ``repr`` of a huge
    value) cannot be interrupted, so a watchdog ends the whole test process, with the stack of
    the stuck case, after a few times the bound rather than letting the suite hang.
    """

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"case still running after {seconds} s")

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + extra_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(4 * seconds, exit=True, file=sys.__stderr__)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        faulthandler.cancel_dump_traceback_later()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_the_table_is_large_and_ids_are_unique():
    assert len(CASES) >= 300
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids), [i for i in ids if ids.count(i) > 1][:5]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id[:80])
def test_bad_input_in_process(case: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch):
    materialise(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    before = snapshot(tmp_path)
    capsys.readouterr()
    code: object = 0
    crash = ""
    start = time.perf_counter()
    try:
        with bounded(TIME_LIMIT + 5, MEMORY_LIMIT):
            main(list(case.args))
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
    except BaseException:  # a crash is what this test looks for: report it as the traceback it is
        crash = traceback.format_exc()
    seconds = time.perf_counter() - start
    captured = capsys.readouterr()
    check(case, code, captured.out, captured.err + crash, seconds, before, snapshot(tmp_path))


#: the sample run as real processes: the hardest cases and a spread over the rest of the table
SAMPLE_IDS = {
    "scenario-nested-3000-flow",
    "scenario-nested-500-block",
    "scenario-alias-bomb-description",
    "scenario-alias-bomb-employees",
    "scenario-alias-within-bounds-employees",
    "scenario-extends-etc-shadow",
    "scenario-extends-dev-zero",
    "scenario-binary-png",
    "scenario-file-above-1-MiB",
    "scenario-name-300-characters",
    "scenario-duplicate-nested-key",
    "scenario-huge-whole-number",
    "spec-grid-60x60x60",
    "spec-outcomes-empty",
    "spec-grid-overlapping-leaders",
    "spec-alias-bomb",
    "spec-sample-outside-bounds",
    "sensitivity-replications-0",
    "compare-steps--1",
    "compare-ci-width-nan",
    "compare-workers-0",
    "run-seed-18446744073709551616",
    "plot-damaged-parquet",
}
SAMPLE = [c for c in CASES if c.id in SAMPLE_IDS]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_sample_is_complete():
    assert {c.id for c in SAMPLE} == SAMPLE_IDS


@pytest.mark.parametrize("case", SAMPLE, ids=lambda c: c.id)
def test_bad_input_as_a_process(case: Bad, tmp_path: Path):
    materialise(case, tmp_path)
    before = snapshot(tmp_path)
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "80", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "sim.cli", *case.args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT + 20,
            env=env,
            preexec_fn=_limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {TIME_LIMIT + 20} s")
    seconds = time.perf_counter() - start
    # a process also pays for starting Python and importing the CLI: allow that on top of the bound
    check(case, proc.returncode, proc.stdout, proc.stderr, max(0.0, seconds - 5), before, snapshot(tmp_path))
