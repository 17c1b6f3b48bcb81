"""The scenario schema: the whole input of one run, as pydantic models with bounds, units and sources.

Every field has a default (the baseline company), so a scenario file only says what differs.
Behavioural parameters live in :mod:`sim.scenario.parameters`; loading, inheritance and
overrides in :mod:`sim.scenario.loading`.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo

from sim.scenario.parameters import Parameters, Strict, param
from sim.vocabulary import CHANNEL_STAGE, CHANNELS, STAGE_CHANNELS, STAGES, STYLES, TRAITS, resolve_traits

NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
"""Scenario and experiment names become folder names: letters, digits, '_', '-' and '.' only."""
NAME_MAX = 100
"""Longest name: a result folder's name must stay well below the file system's 255 bytes."""

StyleName = Literal["transformational", "transactional", "laissez_faire", "servant"]
assert set(typing.get_args(StyleName)) == set(STYLES)


def _complete_from_defaults(cls: type[BaseModel], value: Any) -> Any:
    """A section given in part keeps the class's own default for what it leaves out.

    Without this, ``units: {delivery: {employees: 30}}`` would reset delivery's capacity and
    leader to the generic ``UnitSpec`` defaults instead of the baseline delivery unit's, and
    ``segments: {small: {share: 0.4}}`` would fail for want of the other segment fields.
    """
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for name, info in cls.model_fields.items():
        given = out.get(name)
        if isinstance(given, dict) and isinstance(info.default, BaseModel):
            out[name] = deep_merge(info.default.model_dump(), given)
    return out


class LeaderSpec(Strict):
    """A unit's team leaders: a style preset, optionally with single traits overridden (all 0..1)."""

    style: StyleName = "transactional"
    support: float | None = Field(None, ge=0, le=1)
    recognition: float | None = Field(None, ge=0, le=1)
    feedback_processing: float | None = Field(None, ge=0, le=1)
    information_sharing: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _style_shorthand(cls, value: Any) -> Any:
        return {"style": value} if isinstance(value, str) else value

    def traits(self) -> dict[str, float]:
        """The resolved traits: the preset with this spec's overrides applied."""
        return resolve_traits(self.style, {t: getattr(self, t) for t in TRAITS})


class UnitSpec(Strict):
    """One organisational unit: its headcount, its team leaders and its service capacity.

    A unit is made of teams (``organization.span_of_control`` people each), every team with its
    own leader. ``leader`` gives the style of every team leader; ``leader_mix`` instead gives the
    shares of team leaders by style (the overrides in ``leader`` then apply to all of them).
    """

    employees: int = param(40, "people", "Scenario input.", "Seats in the unit.", ge=1, le=200_000)
    leader: LeaderSpec = LeaderSpec()
    leader_mix: dict[StyleName, float] | None = Field(
        None,
        description="Shares of the unit's team leaders by style (they add up to 1); unset: every team "
        "leader has the style of `leader`.",
    )
    capacity: float = param(
        5.0,
        "touchpoints/employee-week",
        "Calibrated per unit; seed 003: delivery staff carry two to three projects each.",
        "Touchpoints an employee serves in a week before overload.",
        gt=0,
        le=1000,
    )

    @field_validator("leader_mix")
    @classmethod
    def _mix_adds_up(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("allowed: shares of team leaders by style, e.g. {transformational: 0.5, servant: 0.5}")
        bad = {k: v for k, v in value.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"each share must lie in [0, 1] (got {bad})")
        total = sum(value.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the shares must add up to 1 (they add up to {total:g})")
        return value

    def team_styles(self, teams: int) -> list[str]:
        """The style of each of ``teams`` team leaders: the mix's shares by largest remainder, in style order."""
        if self.leader_mix is None:
            return [self.leader.style] * teams
        styles = [s for s in STYLES if s in self.leader_mix]
        quota = np.array([self.leader_mix[s] * teams for s in styles])
        counts = np.floor(quota).astype(int)
        for k in np.argsort(-(quota - counts), kind="stable")[: teams - int(counts.sum())]:
            counts[k] += 1
        return [s for s, c in zip(styles, counts, strict=True) for _ in range(c)]


class Units(Strict):
    """The three units of seed 003: sales (pre-purchase, purchase), delivery, support (maintenance)."""

    sales: UnitSpec = UnitSpec(employees=40, leader=LeaderSpec(style="transformational"), capacity=5.0)
    delivery: UnitSpec = UnitSpec(employees=50, leader=LeaderSpec(style="transactional"), capacity=4.0)
    support: UnitSpec = UnitSpec(employees=30, leader=LeaderSpec(style="transactional"), capacity=7.0)

    @model_validator(mode="before")
    @classmethod
    def _partial_units(cls, value: Any) -> Any:
        return _complete_from_defaults(cls, value)


class Executive(Strict):
    """The executive team above the units: its commitment to customer experience sets the climate."""

    cx_commitment: float = param(
        0.5,
        "0..1",
        "Seed 000 5.4.1 (management perception of CX) and seed 004 ('leading by example').",
        "Top management's commitment to customer experience: a job resource for everybody, the priority "
        "leaders give to customer feedback, and the company's norm of sharing customer information.",
        ge=0,
        le=1,
    )


class Organization(Strict):
    """Units and the collaboration network that joins their people."""

    units: Units = Units()
    cross_unit_ties: float = param(
        0.05,
        "share of ties",
        "Seed 002: functional silos; Hansen 1999 on inter-unit ties.",
        "Share of collaboration ties that cross units (the silo lever).",
        ge=0,
        le=1,
    )
    meeting_every_weeks: int = param(
        2,
        "weeks",
        "Seed 003: weekly and bi-weekly team meetings.",
        "Cadence of leaders' information meetings.",
        ge=1,
        le=52,
    )
    ties_per_employee: int = param(
        6,
        "ties",
        "Watts & Strogatz 1998; typical team collaboration circles of 4-10 people.",
        "Collaborators per employee (even; the small-world lattice degree).",
        ge=2,
        le=50,
    )
    rewiring: float = param(
        0.1, "probability", "Watts & Strogatz 1998 small-world regime.", "Within-unit rewiring probability.", ge=0, le=1
    )
    span_of_control: int = param(
        8,
        "people per team leader",
        "Meier & Bohte 2000 and the design brief: team leaders in service units lead about 6-12 people.",
        "People per team; each unit is split into teams of about this size, each with its own leader.",
        ge=2,
        le=100,
    )
    executive: Executive = Executive()

    @field_validator("ties_per_employee")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be an even number (a ring lattice links k/2 neighbours on each side)")
        return value


class Segment(Strict):
    """A customer segment (seed 001 personas): its share, contract value and expectations."""

    share: float = Field(ge=0, le=1, description="Share of new and initial accounts.")
    contract_value: float = Field(gt=0, le=1e9, description="Annual recurring revenue of a contract (EUR).")
    expectation: float = Field(ge=0, le=1, description="Initial expected quality (0..1).")


class Segments(Strict):
    """Small, mid-market and enterprise accounts (seed 003: the case company serves mid-size firms)."""

    small: Segment = Segment(share=0.35, contract_value=20_000, expectation=0.65)
    mid_market: Segment = Segment(share=0.5, contract_value=60_000, expectation=0.7)
    enterprise: Segment = Segment(share=0.15, contract_value=200_000, expectation=0.75)

    @model_validator(mode="before")
    @classmethod
    def _partial_segments(cls, value: Any) -> Any:
        return _complete_from_defaults(cls, value)

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Segments:
        total = self.small.share + self.mid_market.share + self.enterprise.share
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares must add up to 1 (they add up to {total:g})")
        return self


class Customers(Strict):
    """The customer base at the start and the segments new accounts come from."""

    accounts: int = param(600, "accounts", "Scenario input.", "Customer accounts at the start.", ge=0, le=2_000_000)
    prospects: int = param(80, "accounts", "Calibrated pipeline.", "Prospects at the start.", ge=0, le=2_000_000)
    maintenance_share: float = param(
        0.8,
        "share",
        "Calibrated: most accounts are past their first project.",
        "Share of initial accounts in maintenance (the rest in delivery).",
        ge=0,
        le=1,
    )
    segments: Segments = Segments()


class ChannelSpec(Strict):
    """One channel of one stage: its share of the stage's touchpoints, its richness, load and answer time."""

    share: float = param(
        ...,
        "share of the stage's touchpoints",
        "Seed 003's account of the case company's channels (the mix of each stage).",
        "The channel's share of its stage's touchpoints.",
        ge=0,
        le=1,
    )
    richness: float = param(
        ...,
        "0..1",
        "Daft & Lengel 1986 media richness: face-to-face richest, then meetings and events, chat, email, web.",
        "Media richness of the channel; quality rises with it by `service.richness_weight`.",
        ge=0,
        le=1,
    )
    load: float = param(
        ...,
        "capacity units per touchpoint",
        "A face-to-face meeting or a ticket takes one unit of an employee's weekly capacity; "
        "other channels take the share of that effort their form suggests.",
        "Capacity one touchpoint takes from the serving employee (its workload).",
        assumption=True,
        ge=0,
        le=20,
    )
    response_days: float = param(
        ...,
        "days",
        "Seed 003's channels: chat answers within hours, email within a day, a meeting is booked "
        "within days; live events answer at once.",
        "Typical delay before the customer gets an answer on the channel.",
        assumption=True,
        ge=0,
        le=90,
    )


class _StageChannels(Strict):
    """A stage's channels: partial overrides keep the other defaults; the shares add up to 1."""

    stage: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _partial_channels(cls, value: Any) -> Any:
        return _complete_from_defaults(cls, value)

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> _StageChannels:
        shares = {name: getattr(self, name).share for name in type(self).model_fields}
        total = sum(shares.values())
        if abs(total - 1.0) > 1e-6:
            terms = " + ".join(f"{name} {share:g}" for name, share in shares.items())
            raise ValueError(f"the {self.stage} channel shares must add up to 1 ({terms} = {total:g})")
        return self


class PrePurchaseChannels(_StageChannels):
    """Seed 003: the principal's salespeople, LinkedIn/Twitter, events and fairs, webinars, website, meetings."""

    stage = "pre_purchase"

    partner_salespeople: ChannelSpec = ChannelSpec(share=0.25, richness=0.60, load=0.30, response_days=3.0)
    social: ChannelSpec = ChannelSpec(share=0.15, richness=0.25, load=0.05, response_days=1.0)
    events: ChannelSpec = ChannelSpec(share=0.10, richness=0.80, load=0.50, response_days=0.0)
    webinars: ChannelSpec = ChannelSpec(share=0.10, richness=0.50, load=0.20, response_days=0.0)
    website: ChannelSpec = ChannelSpec(share=0.20, richness=0.20, load=0.02, response_days=1.0)
    meetings: ChannelSpec = ChannelSpec(share=0.20, richness=0.85, load=1.00, response_days=2.0)


class PurchaseChannels(_StageChannels):
    """Seed 003: face-to-face meetings and email."""

    stage = "purchase"

    face_to_face: ChannelSpec = ChannelSpec(share=0.60, richness=1.00, load=1.00, response_days=2.0)
    email: ChannelSpec = ChannelSpec(share=0.40, richness=0.35, load=0.40, response_days=1.0)


class DeliveryChannels(_StageChannels):
    """Seed 003: face-to-face meetings and chat (Teams, Slack)."""

    stage = "delivery"

    face_to_face: ChannelSpec = ChannelSpec(share=0.50, richness=1.00, load=1.00, response_days=2.0)
    chat: ChannelSpec = ChannelSpec(share=0.50, richness=0.55, load=0.50, response_days=0.2)


class MaintenanceChannels(_StageChannels):
    """Seed 003: email is the only channel, for tickets."""

    stage = "maintenance"

    email_tickets: ChannelSpec = ChannelSpec(share=1.00, richness=0.30, load=1.00, response_days=1.0)


@dataclass(frozen=True)
class ChannelTable:
    """A scenario's channel numbers as arrays indexed like :data:`sim.vocabulary.CHANNELS`.

    ``first[s]`` is stage s's first channel index and ``cum[s]`` the cumulative shares of its
    channels but the last (for a searchsorted draw of each touchpoint's channel).
    """

    share: np.ndarray
    richness: np.ndarray
    load: np.ndarray
    response_days: np.ndarray
    first: np.ndarray
    cum: tuple[np.ndarray, ...]


class Channels(Strict):
    """The channels of each journey stage (seed 003); the names are fixed, the numbers are input."""

    pre_purchase: PrePurchaseChannels = PrePurchaseChannels()
    purchase: PurchaseChannels = PurchaseChannels()
    delivery: DeliveryChannels = DeliveryChannels()
    maintenance: MaintenanceChannels = MaintenanceChannels()

    @model_validator(mode="before")
    @classmethod
    def _partial_stages(cls, value: Any) -> Any:
        return _complete_from_defaults(cls, value)

    def spec(self, index: int) -> ChannelSpec:
        """The numbers of channel ``index`` of :data:`sim.vocabulary.CHANNELS`."""
        channel = CHANNELS[index]
        return getattr(getattr(self, STAGES[channel.stage]), channel.name)

    def table(self) -> ChannelTable:
        """The numbers as arrays, built once per run so the touchpoint phase stays vectorised."""
        specs = [self.spec(i) for i in range(len(CHANNELS))]
        share = np.array([c.share for c in specs])
        return ChannelTable(
            share=share,
            richness=np.array([c.richness for c in specs]),
            load=np.array([c.load for c in specs]),
            response_days=np.array([c.response_days for c in specs]),
            first=np.array([np.flatnonzero(s == CHANNEL_STAGE)[0] for s in range(len(STAGES))]),
            cum=tuple(np.cumsum(share[s == CHANNEL_STAGE])[:-1] for s in range(len(STAGES))),
        )


assert tuple(Channels.model_fields) == STAGES
assert all(
    tuple(Channels.model_fields[stage].annotation.model_fields) == names
    for stage, names in zip(STAGES, STAGE_CHANNELS, strict=True)
)


class Policies(Strict):
    """The levers a strategist compares (seeds 003 and 004)."""

    licence_to_sell: bool = False
    licence_to_deliver: bool = False
    empowerment: bool = False
    transfer_meeting: bool = False
    user_stories: bool = False
    shared_customer_record: bool = False
    cx_incentives: bool = False
    recruit_for_attitude: bool = False
    survey_coverage: float = param(
        0.2, "share of touchpoints", "Seed 000 5.4.4 measurement.", "Share of touchpoints surveyed.", ge=0, le=1
    )
    feedback_delay_weeks: int = param(
        8,
        "weeks",
        "Seed 003: feedback to teams and management.",
        "Delay before survey results reach leaders.",
        ge=0,
        le=104,
    )


class Scenario(Strict):
    """One run's complete input. The defaults are the baseline company."""

    name: str = Field(
        "baseline",
        pattern=NAME_PATTERN,
        max_length=NAME_MAX,
        description="Scenario name (used in result paths).",
    )
    description: str = ""
    seed: int = Field(42, ge=0, le=2**63 - 1, description="Root seed of the run's random generator.")
    steps: int = Field(156, ge=1, le=5200, description="Weeks simulated.")
    warmup: int = Field(26, ge=0, le=5199, description="Weeks left out of the KPIs.")
    organization: Organization = Organization()
    customers: Customers = Customers()
    channels: Channels = Channels()
    policies: Policies = Policies()
    parameters: Parameters = Parameters()

    @field_validator("warmup")
    @classmethod
    def _warmup_shorter_than_steps(cls, value: int, info: ValidationInfo) -> int:
        steps = info.data.get("steps")
        if steps is not None and value >= steps:
            raise ValueError(f"must be shorter than steps ({steps})")
        return value

    @field_validator("name")
    @classmethod
    def _not_only_dots(cls, value: str) -> str:
        return name_not_only_dots(value)

    @model_validator(mode="after")
    def _warmup_shorter_than_run(self) -> Scenario:
        if self.warmup >= self.steps:
            raise ValueError(f"warmup ({self.warmup}) must be shorter than steps ({self.steps})")
        return self


def name_not_only_dots(value: str) -> str:
    """A name of dots only (``.``, ``..``) would point at the results folder or above it."""
    if value and set(value) == {"."}:
        raise ValueError("a name made of dots would point outside the results folder")
    return value


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else in ``override`` replaces the base value.

    A leader given as a style name (``leader: laissez_faire``) is the mapping ``{style: ...}``
    when a mapping is merged into it, so ``leader: {support: 0.9}`` keeps the inherited style.
    """
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if key == "leader" and isinstance(value, dict) and isinstance(current, str):
            current = {"style": current}
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = deep_merge(current, value)
        else:
            out[key] = value
    return out


def submodel(info: FieldInfo) -> type[BaseModel] | None:
    """The section (pydantic model) a field holds, or None for a plain value."""
    ann = info.annotation
    candidates = typing.get_args(ann) if isinstance(ann, types.UnionType) else (ann,)
    for c in candidates:
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
    return None


def field_bounds(info: FieldInfo) -> tuple[Any, bool, Any, bool]:
    """A numeric field's (lower, lower is exclusive, upper, upper is exclusive); None if unbounded."""
    lo = hi = None
    lo_open = hi_open = False
    kinds = (("ge", True, False), ("gt", True, True), ("le", False, False), ("lt", False, True))
    for m in info.metadata:
        for attr, is_lo, is_open in kinds:
            v = getattr(m, attr, None)
            if v is None:
                continue
            if is_lo:
                lo, lo_open = v, is_open
            else:
                hi, hi_open = v, is_open
    return lo, lo_open, hi, hi_open
