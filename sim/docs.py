"""The ODD parameter tables, generated from the scenario schema so the code and docs/ODD.md cannot drift.

``python -m sim.docs`` prints the tables; ``--check docs/ODD.md`` exits 1 when the tables embedded
in the file (between ``<!-- parameter-table:start -->`` / ``<!-- parameter-table:end -->`` and
``<!-- leader-table:start -->`` / ``<!-- leader-table:end -->``, ``<!-- channel-table:start -->`` /
``<!-- channel-table:end -->``) differ from the generated ones;
``--write docs/ODD.md`` replaces them. A parameter declared with ``assumption=True`` (no seed
section or published source gives its value) has its source cell start with **Assumption.**
"""

from __future__ import annotations

import argparse
import re
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario.ranges import RUN_SETTINGS, numeric_kind, parameter_range
from sim.scenario.schema import Scenario, field_bounds, submodel
from sim.vocabulary import CHANNELS, STAGES, STYLE_PRESETS, TRAITS

PARAMETER_MARKERS = ("<!-- parameter-table:start -->", "<!-- parameter-table:end -->")
LEADER_MARKERS = ("<!-- leader-table:start -->", "<!-- leader-table:end -->")
CHANNEL_MARKERS = ("<!-- channel-table:start -->", "<!-- channel-table:end -->")

#: meaning and source of the on/off levers in ``policies`` (plain booleans without a description)
POLICY_MEANINGS: dict[str, tuple[str, str]] = {
    "licence_to_sell": (
        "Sales staff train for a licence to sell: their skill ceiling becomes `training.licence_skill`; "
        "training runs `training.licence_weeks` and costs `training.training_time_share` of capacity.",
        "Seed 003 ('licenses to sell ... so that there is nothing to criticize').",
    ),
    "licence_to_deliver": (
        "Delivery and support staff train for a licence to deliver (the same mechanism as the licence to sell).",
        "Seed 003 ('license to deliver to maintain the quality and educate people').",
    ),
    "empowerment": (
        "Front-line staff may fix failures on the spot: recovery chance rises by "
        "`service.empowered_recovery_rate` × engagement; escalations are resolved "
        "`service.empowered_resolution_factor` times as fast.",
        "Seed 004 (Saarijärvi & Puustinen 2020: empowered employees fix issues readily).",
    ),
    "transfer_meeting": (
        "A transfer meeting at every sales-to-delivery handoff (won deals and repeat projects): the chance that "
        "each requirement, and each fact the salesperson holds, reaches delivery rises by "
        "`information.transfer_meeting_gain`.",
        "Seed 003 ('a transfer meeting where sales organization transfers the project to the delivery organization').",
    ),
    "user_stories": (
        "User stories carry the customer's needs into delivery: handoff fidelity rises by "
        "`information.user_stories_gain`; delivery failures fall by `information.user_stories_failure_cut`.",
        "Seed 003 (user stories 'decrease the chance of miscommunication').",
    ),
    "shared_customer_record": (
        "A shared customer record: people log `information.logging_share` of the facts they hear from a customer, "
        "and everyone serving the account (its team and stand-ins) can read what was logged; costs "
        "`costs.record_cost_per_seat_year` per seat and `costs.record_minutes_per_fact` per logged fact.",
        "Seed 000 5.4.3 ('integrated technologies'; 'a seamless experience and a seamlessly integrated technology "
        "stack'); seed 004 (an effortless transition).",
    ),
    "cx_incentives": (
        "CX results are part of the incentive system: each team earns a bonus share that rises with its "
        "measured customer score above `incentives.threshold`; the engagement equilibrium rises by "
        "`engagement.cx_incentive_weight` × that share. No surveys, no score, no bonus.",
        "Seed 004 (Saarijärvi & Puustinen 2020: a purposeful incentive system); seed 003 (bonus plans).",
    ),
    "channel_escalation": (
        "An account with an open complaint is served over the richest channel of its stage (the phone for "
        "maintenance tickets): `service.escalated_touchpoint_share` of its touchpoints, until the complaint is "
        "resolved.",
        "Seed 004 ('an effortless transition from one channel to another ... when the customer ... needs personal "
        "customer service').",
    ),
    "hiring_freeze": (
        "No vacancy is filled while on (people who quit are not replaced); a timed event switches it on and off.",
        "Scenario input (design brief: timed interventions such as a hiring freeze).",
    ),
    "recruit_for_attitude": (
        "New hires are recruited for attitude: their service orientation mean rises by `training.attitude_shift`, "
        "their engagement disposition mean by `training.attitude_disposition_share` of it (the initial workforce "
        "is unchanged).",
        "Seed 004 (Korkiakoski & Gerdt 2016: attitude should weigh more than technical skills).",
    ),
    "ask_why": (
        "Every detractor is asked WHY: the report names the stage, channel and cause of the account's worst "
        "recent touchpoint, and the fix targets that cause; without it, fixes are spread over every cause.",
        "Seed 002 ('connect NPS with a question to customers WHY').",
    ),
}

#: meaning of each leader trait (see sim.leadership)
TRAIT_MEANINGS: dict[str, str] = {
    "support": "leader support, a job resource that lifts engagement",
    "recognition": "recognition as contingent reward, a job resource that lifts engagement",
    "feedback_processing": "how readily the reports reaching the team become a process fix",
    "information_sharing": "how readily customer facts come up at the team's meetings; the team's sharing culture "
    "in peer diffusion; care for staff in engagement",
}

#: published basis of each style preset (the comments in sim.leadership.STYLE_PRESETS)
STYLE_SOURCES: dict[str, str] = {
    "transformational": "Bass & Riggio 2006; Judge & Piccolo 2004",
    "transactional": "Judge & Piccolo 2004 (contingent reward, management by exception)",
    "laissez_faire": "Skogstad et al. 2007",
    "servant": "van Dierendonck 2011; Liden et al. 2008",
}

#: unit and source of fields declared with a plain ``Field(...)``, by the last parts of their key path
PLAIN_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("—", "Scenario input."),
    "description": ("—", "Scenario input."),
    "seed": ("—", "Scenario input (recorded in each run's manifest)."),
    "steps": ("weeks", "Design brief: three years of weekly steps."),
    "warmup": ("weeks", "Design brief: the first half year is left out of the KPIs."),
    "share": ("share", "Scenario input (segments after seed 001's personas; seed 003: mid-size clients)."),
    "contract_value": ("EUR/year", "Scenario input (segments after seed 001's personas; seed 003: mid-size clients)."),
    "expectation": ("0..1", "Scenario input (segments after seed 001's personas)."),
    "leader.style": ("—", "Seed 000 5.4.2 (leadership style); seed 004; presets in the leader table."),
    "leader.trait": ("0..1", "Seed 000 5.4.1-5.4.2; overrides one value of the style preset (leader table)."),
    "policy": ("on/off", ""),
    "channel_preference": ("weight", "Seed 001: customers expect to meet companies over channels of their choice."),
    "events": ("—", "Design brief: timed interventions (rollout, payback, shocks)."),
}

#: constraints that validators add on top of the field bounds
EXTRA_CONSTRAINTS: dict[str, str] = {
    "warmup": "less than `steps`",
    "organization.ties_per_employee": "even",
    "share": "the three segment shares add up to 1",
    "channels.share": "the shares of the stage's channels add up to 1",
    "channel_preference": "keys `<stage>.<channel>`, weights 0 to 100; a segment keeps a channel in every stage",
    "events": "at most 100; `at` and `until` within 1..`steps`; keys an event can change (ODD 7.0)",
}

HEADER = ("name", "meaning", "unit", "default", "allowed range", "plausible range", "source")


@dataclass(frozen=True)
class Row:
    """One scenario key in the parameter table."""

    key: str
    meaning: str
    unit: str
    default: str
    allowed: str
    plausible: str
    source: str


def parameter_table() -> str:
    """Every scenario key as a Markdown table: dotted key path, meaning, unit, default, range, source."""
    rows: list[Row] = []
    _walk(Scenario, Scenario(), (), rows)
    body = [(f"`{r.key}`", r.meaning, r.unit, r.default, r.allowed, r.plausible, r.source) for r in rows]
    return _markdown(HEADER, body)


def leader_table() -> str:
    """The leadership style presets (style x trait, all traits 0..1) as a Markdown table."""
    header = ("style", *(f"`{t}`" for t in TRAITS), "basis")
    body = [
        (f"`{style}`", *(_number(traits[t]) for t in TRAITS), STYLE_SOURCES.get(style, "—"))
        for style, traits in STYLE_PRESETS.items()
    ]
    return _markdown(header, body)


def channel_table() -> str:
    """The default channels of each stage (scenario key ``channels``) as a Markdown table."""
    channels = Scenario().channels
    header = ("stage", "channel", "share", "richness", "load", "response (days)")
    body = []
    for index, channel in enumerate(CHANNELS):
        spec = channels.spec(index)
        row = (STAGES[channel.stage], channel.name, f"{spec.share:.2f}", f"{spec.richness:.2f}", f"{spec.load:.2f}")
        body.append((*row, f"{spec.response_days:.1f}"))
    return _markdown(header, body)


def _walk(cls: type[BaseModel], instance: BaseModel, path: tuple[str, ...], rows: list[Row]) -> None:
    """Depth-first over the schema, reading defaults from the default instance (so units keep their own)."""
    for name, info in cls.model_fields.items():
        value = getattr(instance, name)
        key = (*path, name)
        if submodel(info) is not None and isinstance(value, BaseModel):
            _walk(type(value), value, key, rows)
        else:
            rows.append(_row(key, info, value))


def _row(key: tuple[str, ...], info: FieldInfo, value: Any) -> Row:
    dotted = ".".join(key)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    fallback = _plain_field(key)
    meaning = info.description or ""
    source = str(extra.get("source", fallback[1]))
    if extra.get("assumption"):
        source = f"**Assumption.** {source}"
    if key[0] == "policies" and key[-1] in POLICY_MEANINGS:
        meaning, source = POLICY_MEANINGS[key[-1]]
    elif len(key) >= 2 and key[-2] == "leader":
        style = "Leadership style of the unit's team leaders: a preset of the four traits."
        meaning = style if key[-1] == "style" else TRAIT_MEANINGS[key[-1]]
        if key[-1] != "style":
            meaning = f"Override of the style preset's `{key[-1]}`: {meaning}."
    return Row(
        key=dotted,
        meaning=meaning or "—",
        unit=str(extra.get("unit", fallback[0])),
        default=_default(value),
        allowed=_allowed(key, info),
        plausible=_plausible(dotted, info),
        source=source or "—",
    )


def _plausible(dotted: str, info: FieldInfo) -> str:
    """The believable range of a numeric key (for the baseline); a relative rule says what it follows."""
    if numeric_kind(info) is None or dotted in RUN_SETTINGS:
        return "—"
    low, high = parameter_range(dotted).plausible
    text = f"[{_number(low)}, {_number(high)}]"
    rule = info.json_schema_extra.get("plausible") if isinstance(info.json_schema_extra, dict) else None
    if isinstance(rule, dict):
        (a, b), spread = rule["factor"], rule["spread"]
        minus, plus = (f" − {_number(spread)}", f" + {_number(spread)}") if spread else ("", "")
        if (a, b) == (1, 1):
            text += f" (value ± {_number(spread)})"
        else:
            text += f" (value ×{_number(a)}{minus} to ×{_number(b)}{plus})"
    return text


def _plain_field(key: tuple[str, ...]) -> tuple[str, str]:
    if len(key) >= 2 and key[-2] == "leader":
        return PLAIN_FIELDS["leader.style" if key[-1] == "style" else "leader.trait"]
    if key[0] == "policies":
        return PLAIN_FIELDS["policy"]
    return PLAIN_FIELDS.get(key[-1], ("—", ""))


def _allowed(key: tuple[str, ...], info: FieldInfo) -> str:
    """The allowed values, from the type, the ge/gt/le/lt metadata and the validators."""
    ann = info.annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)] if isinstance(ann, types.UnionType) else [ann]
    base = args[0] if args else ann
    parts: list[str] = []
    if typing.get_origin(base) is typing.Literal:
        parts.append("one of " + ", ".join(f"`{v}`" for v in typing.get_args(base)))
    elif base is bool:
        parts.append("`true`, `false`")
    elif base is str:
        pattern = next((m.pattern for m in info.metadata if getattr(m, "pattern", None)), None)
        parts.append(f"text matching `{pattern}`" if pattern else "any text")
    else:
        bounds = _bounds(info)
        if bounds:
            parts.append(bounds)
        if base is int:
            parts.append("integer")
    extra = EXTRA_CONSTRAINTS.get(".".join(key)) or EXTRA_CONSTRAINTS.get(key[-1])
    if key[0] == "channels":
        extra = EXTRA_CONSTRAINTS.get(f"channels.{key[-1]}")
    if extra and (key[-1] != "share" or "segments" in key or key[0] == "channels"):
        parts.append(extra)
    if isinstance(ann, types.UnionType) and type(None) in typing.get_args(ann):
        parts.append("or unset (preset)")
    return "; ".join(parts) or "—"


def _bounds(info: FieldInfo) -> str:
    lo, lo_open, hi, hi_open = field_bounds(info)
    if lo is not None and hi is not None:
        return f"{'(' if lo_open else '['}{_number(lo)}, {_number(hi)}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{'>' if lo_open else '≥'} {_number(lo)}"
    if hi is not None:
        return f"{'<' if hi_open else '≤'} {_number(hi)}"
    return ""


def _default(value: Any) -> str:
    if value is None:
        return "preset"
    if isinstance(value, list):
        return "none" if not value else f"{len(value)} item(s)"
    if isinstance(value, dict):
        return "1 for every channel" if not value else ", ".join(f"`{k}`: {_number(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f"`{value}`" if value else "(empty)"
    return _number(value)


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _markdown(header: tuple[str, ...], body: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def embed(text: str, markers: tuple[str, str], body: str) -> str:
    """``text`` with the part between the two markers replaced by ``body``; ValueError if a marker is missing."""
    start, end = markers
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"markers {start} ... {end} not found")
    return pattern.sub(lambda _: f"{start}\n{body}\n{end}", text, count=1)


def embed_all(text: str) -> str:
    """``text`` with every generated table replaced by the current one."""
    text = embed(text, PARAMETER_MARKERS, parameter_table())
    text = embed(text, CHANNEL_MARKERS, channel_table())
    return embed(text, LEADER_MARKERS, leader_table())


def main(argv: list[str] | None = None) -> int:
    """Print the tables, or check / rewrite the tables embedded in a Markdown file."""
    parser = argparse.ArgumentParser(prog="python -m sim.docs", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", metavar="FILE", type=Path, help="exit 1 if the embedded tables are out of date")
    group.add_argument("--write", metavar="FILE", type=Path, help="replace the embedded tables")
    args = parser.parse_args(argv)
    if args.check is None and args.write is None:
        print(parameter_table(), leader_table(), channel_table(), sep="\n\n")
        return 0
    path: Path = args.check or args.write
    try:
        text = path.read_text(encoding="utf-8")
        updated = embed_all(text)
    except (OSError, ValueError) as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 1
    if args.write is not None:
        if updated != text:
            path.write_text(updated, encoding="utf-8")
        print(f"{path}: tables {'updated' if updated != text else 'already up to date'}")
        return 0
    if updated != text:
        print(f"{path}: the parameter, leader or channel table is out of date; run python -m sim.docs --write {path}")
        return 1
    print(f"{path}: tables up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
