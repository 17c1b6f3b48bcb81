"""The scenario schema: the whole input of one run, as pydantic models with bounds, units and sources.

Every field has a default (the baseline company), so a scenario file only says what differs.
Behavioural parameters live in :mod:`sim.scenario.parameters`; loading, inheritance and
overrides in :mod:`sim.scenario.loading`.
"""

from __future__ import annotations

import math
import numbers
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from sim.scenario.parameters import Parameters, Relative, Strict, param, plausible_extra
from sim.vocabulary import (
    CHANNEL_KEYS,
    CHANNEL_STAGE,
    CHANNELS,
    SEGMENTS,
    STAGE_CHANNELS,
    STAGES,
    STYLES,
    TRAITS,
    UNITS,
    resolve_traits,
)

NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
"""Scenario and experiment names become folder names: letters, digits, '_', '-' and '.' only."""
NAME_MAX = 100
"""Longest name: a result folder's name must stay well below the file system's 255 bytes."""
MAX_PREFERENCE = 100.0
"""Largest channel preference weight of a segment (a weight is relative: 100 makes a channel all but exclusive)."""
MAX_EVENTS = 100
"""Most timed events in a scenario (each span's configuration is validated on load)."""

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


#: a leader trait is believable anywhere the style presets reach (laissez-faire 0.1 to servant 0.9)
LEADER_TRAIT_RANGE = plausible_extra((0.1, 0.9))


class LeaderSpec(Strict):
    """A unit's team leaders: a style preset, optionally with single traits overridden (all 0..1)."""

    style: StyleName = "transactional"
    support: float | None = Field(None, ge=0, le=1, json_schema_extra=LEADER_TRAIT_RANGE)
    recognition: float | None = Field(None, ge=0, le=1, json_schema_extra=LEADER_TRAIT_RANGE)
    feedback_processing: float | None = Field(None, ge=0, le=1, json_schema_extra=LEADER_TRAIT_RANGE)
    information_sharing: float | None = Field(None, ge=0, le=1, json_schema_extra=LEADER_TRAIT_RANGE)

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

    employees: int = param(
        40, "people", "Scenario input.", "Seats in the unit.", ge=1, le=200_000, plausible=Relative(factor=(0.7, 1.3))
    )
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
        plausible=Relative(factor=(0.75, 1.25)),
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
        plausible=(0.2, 1.0),
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
        plausible=(0.02, 0.3),
    )
    meeting_every_weeks: int = param(
        2,
        "weeks",
        "Seed 003: weekly and bi-weekly team meetings.",
        "Cadence of leaders' information meetings.",
        ge=1,
        le=52,
        plausible=(1, 4),
    )
    ties_per_employee: int = param(
        6,
        "ties",
        "Watts & Strogatz 1998; typical team collaboration circles of 4-10 people.",
        "Collaborators per employee (even; the small-world lattice degree).",
        ge=2,
        le=50,
        plausible=(4, 10),
    )
    rewiring: float = param(
        0.1,
        "probability",
        "Watts & Strogatz 1998 small-world regime.",
        "Within-unit rewiring probability.",
        ge=0,
        le=1,
        plausible=(0.02, 0.3),
    )
    span_of_control: int = param(
        8,
        "people per team leader",
        "Meier & Bohte 2000 and the design brief: team leaders in service units lead about 6-12 people.",
        "People per team; each unit is split into teams of about this size, each with its own leader.",
        ge=2,
        le=100,
        plausible=(6, 12),
    )
    executive: Executive = Executive()

    @field_validator("ties_per_employee")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be an even number (a ring lattice links k/2 neighbours on each side)")
        return value


class Segment(Strict):
    """A customer segment (seed 001 personas): its share, contract value, expectations and market."""

    share: float = Field(
        ge=0,
        le=1,
        description="Share of the initial accounts and prospects.",
        json_schema_extra=plausible_extra(Relative(factor=(0.7, 1.3))),
    )
    contract_value: float = Field(
        gt=0,
        le=1e9,
        description="Annual recurring revenue of a contract (EUR).",
        json_schema_extra=plausible_extra(Relative(factor=(0.6, 1.5))),
    )
    expectation: float = Field(
        ge=0,
        le=1,
        description="Initial expected quality (0..1).",
        json_schema_extra=plausible_extra(Relative(spread=0.05)),
    )
    market_potential: int = param(
        ...,
        "accounts",
        "Bass 1969: a finite market potential M. No seed gives the size of the case company's market; the "
        "defaults are three times the segment's share of the 600 initial customers, so that the baseline wins "
        "about as many customers a year as it loses (about 72 a year).",
        "Accounts of the segment that could ever be customers (M): customers, the pipeline, accounts that "
        "ended within `market.return_weeks`, and those still in the market.",
        assumption=True,
        ge=0,
        le=100_000_000,
        plausible=Relative(factor=(0.5, 2.0)),
    )
    channel_preference: dict[str, float] = Field(
        default_factory=dict,
        description="Weight per channel (`<stage>.<channel>`, e.g. `delivery.face_to_face: 1.5`) that multiplies "
        "the channel's share of its stage for this segment's touchpoints (renormalised within the stage); a "
        "channel left out weighs 1.",
    )

    @field_validator("channel_preference", mode="before")
    @classmethod
    def _known_channels(cls, value: Any) -> Any:
        """Keys are channel keys (``delivery.chat``); weights are numbers from 0 to MAX_PREFERENCE."""
        if not isinstance(value, dict):
            return value  # the type check names it
        out = {}
        for key, weight in value.items():
            if key not in CHANNEL_KEYS:
                raise ValueError(f"unknown channel {key!r}; allowed keys: {', '.join(CHANNEL_KEYS)}")
            if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not math.isfinite(weight):
                raise ValueError(f"the weight of {key} must be a number from 0 to {MAX_PREFERENCE:g}")
            if not 0 <= weight <= MAX_PREFERENCE:
                raise ValueError(f"the weight of {key} ({weight:g}) is out of range; allowed: 0 to {MAX_PREFERENCE:g}")
            out[key] = float(weight)
        return out

    def preference(self) -> np.ndarray:
        """The weight of every channel of :data:`sim.vocabulary.CHANNELS` (1 where the segment sets none)."""
        return np.array([self.channel_preference.get(key, 1.0) for key in CHANNEL_KEYS])


class Segments(Strict):
    """Small, mid-market and enterprise accounts (seed 003: the case company serves mid-size firms)."""

    small: Segment = Segment(share=0.35, contract_value=20_000, expectation=0.65, market_potential=630)
    mid_market: Segment = Segment(share=0.5, contract_value=60_000, expectation=0.7, market_potential=900)
    enterprise: Segment = Segment(share=0.15, contract_value=200_000, expectation=0.75, market_potential=270)

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

    def preferences(self) -> np.ndarray:
        """Channel preference weights, one row per segment of :data:`sim.vocabulary.SEGMENTS`."""
        return np.array([getattr(self, name).preference() for name in SEGMENTS])


class Customers(Strict):
    """The customer base at the start and the segments new accounts come from."""

    accounts: int = param(
        600,
        "accounts",
        "Scenario input.",
        "Customer accounts at the start.",
        ge=0,
        le=2_000_000,
        plausible=Relative(factor=(0.5, 1.5)),
    )
    prospects: int = param(
        80,
        "accounts",
        "Calibrated pipeline.",
        "Prospects at the start.",
        ge=0,
        le=2_000_000,
        plausible=Relative(factor=(0.5, 1.5)),
    )
    maintenance_share: float = param(
        0.8,
        "share",
        "Calibrated: most accounts are past their first project.",
        "Share of initial accounts in maintenance (the rest in delivery).",
        ge=0,
        le=1,
        plausible=(0.7, 0.9),
    )
    segments: Segments = Segments()

    @model_validator(mode="after")
    def _market_holds_the_start(self) -> Customers:
        total = sum(getattr(self.segments, name).market_potential for name in type(self.segments).model_fields)
        if total < self.accounts + self.prospects:
            raise ValueError(
                f"the segments' market_potential ({total:,} accounts in all) is smaller than the initial accounts "
                f"and prospects ({self.accounts + self.prospects:,})"
            )
        return self


class ChannelSpec(Strict):
    """One channel of one stage: its share of the stage's touchpoints, its richness, load and answer time."""

    share: float = param(
        ...,
        "share of the stage's touchpoints",
        "Seed 003's account of the case company's channels (the mix of each stage).",
        "The channel's share of its stage's touchpoints.",
        ge=0,
        le=1,
        plausible=Relative(spread=0.1),
    )
    richness: float = param(
        ...,
        "0..1",
        "Daft & Lengel 1986 media richness: face-to-face richest, then meetings and events, chat, email, web.",
        "Media richness of the channel; quality rises with it by `service.richness_weight`.",
        ge=0,
        le=1,
        plausible=Relative(spread=0.1),
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
        plausible=Relative(factor=(0.5, 1.5)),
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
        plausible=Relative(factor=(0.5, 2.0), spread=0.5),
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
    """Seed 003: email is the only channel, for tickets. The phone carries no share of its own: it takes the
    tickets that escalate (``policies.channel_escalation``; seed 004: an effortless transition from a
    self-service channel to personal service). Daft & Lengel 1986 rank the telephone second in richness, after
    face-to-face; a call is answered at once but, with an upset customer, takes longer than a ticket (an
    assumption)."""

    stage = "maintenance"

    email_tickets: ChannelSpec = ChannelSpec(share=1.00, richness=0.30, load=1.00, response_days=1.0)
    phone: ChannelSpec = ChannelSpec(share=0.00, richness=0.70, load=1.50, response_days=0.1)


@dataclass(frozen=True)
class ChannelTable:
    """A scenario's channel numbers as arrays indexed like :data:`sim.vocabulary.CHANNELS`.

    ``first[s]`` is stage s's first channel index and ``cum[s]`` the cumulative shares of its
    channels but the last (for a searchsorted draw of each touchpoint's channel). Where a
    segment prefers some channels (``customers.segments.<segment>.channel_preference``),
    ``cum_by_segment[s]`` holds one such row per segment, of the shares times the preferences
    renormalised within the stage (None while every segment has the stage's own mix).
    ``drawn[s]`` says whether more than one channel of the stage can carry touchpoints (else every
    touchpoint takes ``only[s]``, without a draw); ``richest[s]`` is the stage's richest channel,
    where escalated touchpoints go; ``usable`` marks the channels that can carry touchpoints at all.
    """

    share: np.ndarray
    richness: np.ndarray
    load: np.ndarray
    response_days: np.ndarray
    first: np.ndarray
    cum: tuple[np.ndarray, ...]
    cum_by_segment: tuple[np.ndarray | None, ...]
    drawn: np.ndarray
    only: np.ndarray
    richest: np.ndarray
    usable: np.ndarray


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

    def table(self, preference: np.ndarray | None = None, escalation: bool = False) -> ChannelTable:
        """The numbers as arrays, built once per run (and after a timed event) so the touchpoint phase stays vectorised.

        ``preference`` holds the segments' channel weights (segments x channels; all 1 when None);
        with ``escalation`` the richest channel of each stage can carry touchpoints even without a share.
        """
        specs = [self.spec(i) for i in range(len(CHANNELS))]
        share = np.array([c.share for c in specs])
        richness = np.array([c.richness for c in specs])
        pref = np.ones((len(SEGMENTS), len(CHANNELS))) if preference is None else preference
        weight = share * pref
        cum, cum_by_segment, drawn, only, richest = [], [], [], [], []
        usable = np.zeros(len(CHANNELS), dtype=bool)
        for s in range(len(STAGES)):
            idx = np.flatnonzero(s == CHANNEL_STAGE)
            w = weight[:, idx]
            positive = (w > 0).any(axis=0)
            cum.append(np.cumsum(share[idx])[:-1])
            uniform = bool((pref[:, idx] == 1.0).all())
            cum_by_segment.append(None if uniform else np.cumsum(w, axis=1)[:, :-1] / w.sum(axis=1, keepdims=True))
            drawn.append(int(positive.sum()) > 1)
            only.append(idx[int(np.argmax(positive))])
            richest.append(idx[int(np.argmax(richness[idx]))])
            usable[idx] = positive
            if escalation:
                usable[richest[-1]] = True
        return ChannelTable(
            share=share,
            richness=richness,
            load=np.array([c.load for c in specs]),
            response_days=np.array([c.response_days for c in specs]),
            first=np.array([np.flatnonzero(s == CHANNEL_STAGE)[0] for s in range(len(STAGES))]),
            cum=tuple(cum),
            cum_by_segment=tuple(cum_by_segment),
            drawn=np.array(drawn),
            only=np.array(only),
            richest=np.array(richest),
            usable=usable,
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
        0.2,
        "share of touchpoints",
        "Seed 000 5.4.4 measurement.",
        "Share of touchpoints followed by a survey invitation.",
        ge=0,
        le=1,
        plausible=(0.05, 0.5),
    )
    ask_why: bool = Field(
        True,
        description="Ask every detractor WHY (seed 002), so that fixes target the stage, channel and cause named.",
    )
    feedback_delay_weeks: int = param(
        8,
        "weeks",
        "Seed 003: feedback to teams and management.",
        "Delay before survey results reach leaders.",
        ge=0,
        le=104,
        plausible=(1, 12),
    )
    channel_escalation: bool = False
    hiring_freeze: bool = False
    price_change: float = param(
        0.0,
        "share of the list price",
        "Scenario input (a pricing decision).",
        "Change of list prices (0.1: 10 % dearer). New contracts are signed at it; a renewal re-prices the contract "
        "to it and the rise since its last pricing raises churn (`renewal.price_churn_sensitivity`); a dearer offer "
        "wins fewer deals (`journey.price_win_sensitivity`).",
        ge=-0.9,
        le=1,
        plausible=(-0.1, 0.1),
    )


class Event(Strict):
    """A timed intervention: scenario keys set from week ``at`` on, to week ``until`` (then the earlier values return).

    ``set`` maps dotted key paths to values, as ``--set`` does; a mapping given for a section is merged
    into it (``organization.units.delivery: {capacity: 2.4}`` keeps the unit's other settings).
    """

    at: int = Field(ge=1, le=5200, description="Week the event takes effect (at the start of the week).")
    set: dict[str, Any] = Field(min_length=1, description="Scenario keys (dotted paths) and their values.")
    until: int | None = Field(
        None, ge=1, le=5200, description="Last week of the span; unset: the change lasts to the end of the run."
    )

    def active(self, week: int) -> bool:
        """Whether the event's values hold in ``week``."""
        return self.at <= week and (self.until is None or week <= self.until)


#: scenario keys an event cannot change, and why: they shape what is built at week 0 or the run itself
#: (``*`` stands for every unit)
FIXED_KEYS: dict[str, str] = {
    "name": "it names the run",
    "description": "it describes the run",
    "seed": "it seeds the run",
    "steps": "it is the run's horizon",
    "warmup": "it sets the measured window",
    "events": "an event cannot schedule events",
    "organization.units.*.employees": "the seats and their network are built at week 0",
    "organization.cross_unit_ties": "the collaboration network is built at week 0",
    "organization.ties_per_employee": "the collaboration network is built at week 0",
    "organization.rewiring": "the collaboration network is built at week 0",
    "organization.span_of_control": "the teams are formed at week 0",
    "customers.accounts": "it is the customer base at week 0",
    "customers.prospects": "it is the prospect pool at week 0",
    "customers.maintenance_share": "it shapes the customer base at week 0",
    "customers.segments.small.share": "it shapes the customer base at week 0 (later ones come from the markets)",
    "customers.segments.mid_market.share": "it shapes the customer base at week 0 (later ones come from the markets)",
    "customers.segments.enterprise.share": "it shapes the customer base at week 0 (later ones come from the markets)",
    "customers.segments.small.market_potential": "the market is sized at week 0",
    "customers.segments.mid_market.market_potential": "the market is sized at week 0",
    "customers.segments.enterprise.market_potential": "the market is sized at week 0",
    "parameters.market.return_weeks": "the market's return queue is built at week 0",
    "parameters.information.facts_per_account": "the account store keeps that many facts from week 0",
    "parameters.engagement.settling_rounds": "it is used only to build the initial state",
    "parameters.feedback.process_spread": "each team's untreated process is drawn at week 0",
    "parameters.staffing.experienced_skill_mean": "it is used only to build the initial state",
    "parameters.staffing.experienced_skill_sd": "it is used only to build the initial state",
    "parameters.staffing.experienced_skill_min": "it is used only to build the initial state",
    "parameters.staffing.experienced_skill_max": "it is used only to build the initial state",
    "parameters.staffing.initial_tenure_max_weeks": "it is used only to build the initial state",
    "parameters.satisfaction.initial_satisfaction": "it is used only to build the initial state",
    "parameters.satisfaction.initial_satisfaction_sd": "it is used only to build the initial state",
    "parameters.journey.initial_account_age_max_weeks": "it is used only to build the initial state",
    "parameters.information.initial_knowledge_age_max_weeks": "it is used only to build the initial state",
    "parameters.information.initial_serving_knowledge_age_max_weeks": "it is used only to build the initial state",
    "parameters.measurement.nps_window_weeks": "it is the length of the surveyed NPS's running window",
    "parameters.costs.discount_rate": "it discounts the run's profit as a whole",
}
CHANGEABLE = (
    "an event may set policies, channels, parameters, segments, a unit's capacity, leader or leader_mix, "
    "organization.meeting_every_weeks and organization.executive"
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
    events: list[Event] = Field(
        default_factory=list,
        max_length=MAX_EVENTS,
        description="Timed interventions: each sets scenario keys from week `at` (to week `until`).",
    )

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

    @model_validator(mode="after")
    def _every_segment_has_a_channel(self) -> Scenario:
        """Preferences of 0 on every channel a stage uses would leave a segment's touchpoints nowhere to go."""
        weights = self.channels.table().share * self.customers.segments.preferences()
        for k, name in enumerate(SEGMENTS):
            weight = weights[k]
            for s, stage in enumerate(STAGES):
                if not weight[s == CHANNEL_STAGE].sum() > 0:
                    field = f"customers.segments.{name}.channel_preference"
                    raise located(
                        field,
                        getattr(self.customers.segments, name).channel_preference,
                        f"leaves the segment no channel in stage {stage} (share x preference is 0 for every channel "
                        f"of the stage); give one of its channels a positive weight",
                    )
        return self

    @model_validator(mode="after")
    def _events_fit(self) -> Scenario:
        """Each event lies within the run, changes only keys that can change mid-run, and every span is valid."""
        if self.events:
            check_events(self)
        return self

    def breakpoints(self) -> list[int]:
        """The weeks at which some event starts or ends (its earlier values return), in order."""
        weeks = {e.at for e in self.events} | {e.until + 1 for e in self.events if e.until is not None}
        return sorted(w for w in weeks if w <= self.steps)

    def at_week(self, week: int) -> Scenario:
        """The configuration in force in ``week``: this scenario with the values of every event active then.

        Events apply in the order listed (a later one wins where two set the same key); the result has
        no events of its own.
        """
        return Scenario.model_validate(configuration_at(self, week))


def located(field: str, value: Any, allowed: str | None = None, inner: dict[str, Any] | None = None) -> Exception:
    """A validation error that names its own field (for checks that span sections, such as events).

    ``inner`` is the first error of a nested validation (its allowed values are worded by the loader);
    else ``allowed`` says what is allowed.
    """
    return PydanticCustomError(
        "located", "{field}: {allowed}", {"field": field, "value": value, "allowed": allowed or "", "inner": inner}
    )


def configuration_at(scenario: Scenario, week: int) -> dict[str, Any]:
    """The raw mapping of ``scenario`` without events, with the values of the events active in ``week`` put in."""
    raw = scenario.model_dump(exclude={"events"})
    for event in scenario.events:
        if event.active(week):
            for key, value in event.set.items():
                put(raw, key, value)
    return raw


def put(raw: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``value`` at a key path of a raw scenario; a mapping is merged into the section already there."""
    parts = dotted.split(".")
    node = raw
    for part in parts[:-1]:
        child = node.get(part)
        if isinstance(child, str):  # a leader given as a style name
            child = {"style": child}
        if not isinstance(child, dict):
            child = {}
        node[part] = child
        node = child
    current = node.get(parts[-1])
    if isinstance(value, dict) and isinstance(current, dict):
        node[parts[-1]] = deep_merge(current, value)
    else:
        node[parts[-1]] = value


def _key_problem(dotted: str) -> str | None:
    """Why an event cannot set this key path (None when it can)."""
    parts = dotted.split(".")
    cls: type[BaseModel] | None = Scenario
    for i, part in enumerate(parts):
        if cls is None or part not in cls.model_fields:
            here = ".".join(parts[:i]) or "the top level"
            keys = ", ".join(cls.model_fields) if cls else "nothing (it is a value, not a section)"
            return f"no such setting; keys under {here}: {keys}"
        cls = submodel(cls.model_fields[part])
    for fixed, why in FIXED_KEYS.items():
        pattern = fixed.split(".")
        head = parts[: len(pattern)]
        if len(head) == len(pattern) and all(p in ("*", q) for p, q in zip(pattern, head, strict=True)):
            return f"cannot change during a run ({why}); {CHANGEABLE}"
    return None


def _fixed_values(raw: dict[str, Any]) -> dict[str, Any]:
    """The value of every fixed key path of a raw scenario (``*`` expanded over the units)."""
    out = {}
    for fixed in FIXED_KEYS:
        for path in [fixed.replace("*", unit) for unit in UNITS] if "*" in fixed else [fixed]:
            node: Any = raw
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            out[path] = node
    return out


def _culprit(scenario: Scenario, week: int, dotted: str) -> tuple[int, str]:
    """The event (index) and key whose value at ``week`` set the path of a failure: the last one that touches it."""
    found, last = None, (0, next(iter(scenario.events[0].set)))
    for i, event in enumerate(scenario.events):
        if event.active(week):
            for key in event.set:
                if not dotted or key == dotted or dotted.startswith(key + ".") or key.startswith(dotted + "."):
                    found = (i, key)
            last = (i, next(iter(event.set)))
    return found or last


def check_events(scenario: Scenario) -> None:
    """Refuse (a located error) events outside the run, keys that cannot change mid-run, and invalid spans.

    The configuration of every span between two breakpoints is validated as a whole scenario, so a value
    must be valid for its key and consistent with the rest (a stage's channel shares still add up to 1).
    """
    steps = scenario.steps
    for i, event in enumerate(scenario.events):
        if event.at > steps:
            raise located(f"events.{i}.at", event.at, f"out of range; allowed: a week from 1 to steps ({steps})")
        if event.until is not None and not event.at <= event.until <= steps:
            raise located(
                f"events.{i}.until", event.until, f"allowed: a week from the event's at ({event.at}) to steps ({steps})"
            )
        for key, value in event.set.items():
            problem = _key_problem(key)
            if problem:
                raise located(f"events.{i}.set.{key}", value, problem)
    base = _fixed_values(scenario.model_dump(exclude={"events"}))
    for week in scenario.breakpoints():
        raw = configuration_at(scenario, week)
        try:
            config = Scenario.model_validate(raw)
        except ValidationError as exc:
            inner = exc.errors()[0]
            dotted = ".".join(str(p) for p in inner["loc"])
            if inner["type"] == "located":
                dotted = inner["ctx"]["field"]
            i, key = _culprit(scenario, week, dotted)
            raise located(f"events.{i}.set.{key}", scenario.events[i].set[key], inner=inner) from None
        now = _fixed_values(config.model_dump(exclude={"events"}))
        for path, value in base.items():
            if now[path] != value:
                i, key = _culprit(scenario, week, path)
                why = _key_problem(path)
                raise located(f"events.{i}.set.{key}", scenario.events[i].set[key], f"would change {path}: {why}")


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
