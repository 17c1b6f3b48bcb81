"""Named model parameters: every number the mechanisms use, with its unit and its source.

Each group belongs to one submodel (see docs/ODD.md, "Submodels"). A scenario may override any
of them under ``parameters:``; the ODD parameter table is generated from these definitions
(``python -m sim.docs``), so the code and the documentation cannot drift apart.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


@dataclass(frozen=True)
class Relative:
    """A plausible range that follows the value a scenario gives, for fields whose default differs per instance.

    A unit's headcount or a channel's load has one declaration but a different value in each unit or
    channel, so its believable range is stated around that value: from ``value * factor[0] - spread``
    to ``value * factor[1] + spread``, cut to the field's bounds (:mod:`sim.scenario.ranges` resolves it).
    """

    factor: tuple[float, float] = (1.0, 1.0)
    spread: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """The form kept in the field's ``json_schema_extra`` (plain JSON, as pydantic's schema needs)."""
        return {"factor": list(self.factor), "spread": self.spread}


def plausible_extra(plausible: tuple[float, float] | Relative) -> dict[str, Any]:
    """``json_schema_extra`` entry of a plausible range: ``[low, high]`` or a :class:`Relative` rule."""
    if isinstance(plausible, Relative):
        return {"plausible": plausible.as_json()}
    low, high = plausible
    return {"plausible": [low, high]}


def param(
    default: Any,
    unit: str,
    source: str,
    description: str,
    *,
    assumption: bool = False,
    plausible: tuple[float, float] | Relative | None = None,
    **bounds: Any,
) -> Any:
    """A pydantic field that carries its unit, its source and its plausible range for the parameter table.

    ``assumption=True`` marks a value that no seed section or published source gives: ``source``
    then says why the value was chosen, and the parameter table labels it as an assumption.
    ``plausible`` is the range of values that are believable, next to the bounds (``ge``, ``le``, ...)
    that say what is allowed: for a sourced value the spread the literature reports, for an
    assumption a wider one. Sensitivity analysis, calibration and sliders draw from it.
    """
    extra: dict[str, Any] = {"unit": unit, "source": source}
    if assumption:
        extra["assumption"] = True
    if plausible is not None:
        extra.update(plausible_extra(plausible))
    return Field(default, description=description, json_schema_extra=extra, **bounds)


def is_assumption(info: Any) -> bool:
    """Whether a parameter's value is an assumption rather than taken from a source."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return bool(extra.get("assumption", False))


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, and no value is coerced.

    Strict types: a whole number must be written as one (``'40'`` and ``40.0`` are refused, so
    a quoted or fractional value is a visible mistake rather than a silent conversion), and a
    boolean must be ``true`` or ``false`` (not ``yes``, ``on``, ``1`` or ``'true'``). A whole
    number is accepted where a number is expected.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False, strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML's true/false are not numbers: ``feedback_delay_weeks: true`` is a mistake, not 1.

        NumPy's whole numbers (``np.int64``, from a parameter sweep) count as whole numbers.
        """
        if isinstance(value, bool) and info.field_name is not None:
            annotation = cls.model_fields[info.field_name].annotation
            if annotation in (int, float, int | None, float | None):
                raise ValueError("allowed: a number, not true or false")
        if isinstance(value, numbers.Integral) and not isinstance(value, int):
            return int(value)
        return value


class EngagementParameters(Strict):
    """Job demands-resources dynamics of work engagement (Bakker & Demerouti 2007)."""

    adjustment_rate: float = param(
        0.08,
        "1/week",
        "Calibrated: engagement settles within a quarter (Bakker & Demerouti 2007 treat it as a "
        "state that changes over weeks).",
        "Share of the gap to the resource-demand equilibrium closed each week.",
        ge=0,
        le=1,
        plausible=(0.04, 0.16),
    )
    disposition_mean: float = param(
        0.55,
        "0..1",
        "Gallup State of the Workplace: roughly a third of employees engaged.",
        "Mean of the individual engagement disposition that a new hire brings.",
        ge=0,
        le=1,
        plausible=(0.45, 0.65),
    )
    disposition_sd: float = param(
        0.2,
        "0..1",
        "UWES norms (Schaufeli & Bakker 2003): engagement's SD is about 1.0-1.2 on the 0-6 scale, 0.17-0.20 on "
        "0..1; calibrated to pattern 2 (Judge & Piccolo 2004: r of laissez-faire leadership with engagement about "
        "-.37, of transformational about .44).",
        "Spread of the disposition.",
        ge=0,
        le=0.5,
        plausible=(0.12, 0.24),
    )
    leader_support_weight: float = param(
        0.22,
        "engagement per unit of support",
        "Judge & Piccolo 2004: transformational r=.44, contingent reward .39, laissez-faire -.37.",
        "How much the leader's support (a job resource) lifts the equilibrium.",
        ge=0,
        le=1,
        plausible=(0.12, 0.32),
    )
    recognition_weight: float = param(
        0.12,
        "engagement per unit of recognition",
        "Judge & Piccolo 2004 (contingent reward); seed 000 5.4.5 ('awarded and celebrated').",
        "How much recognition lifts the equilibrium.",
        ge=0,
        le=1,
        plausible=(0.06, 0.2),
    )
    climate_weight: float = param(
        0.10,
        "engagement per unit of CX commitment",
        "Seed 000 5.4.1 and seed 004 ('leading by example'): top management's commitment is a job "
        "resource for everybody; the size is set equal to the smaller leader weights, an assumption.",
        "How much the executive team's CX commitment (centred on `leader_trait_reference`) lifts the equilibrium.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.0, 0.2),
    )
    information_care_weight: float = param(
        0.06,
        "engagement per unit of information sharing",
        "Seed 000 5.4.1 (participant 5): timely customer information 'means that we as a company cares enough "
        "about our employees to keep them well-informed'; the size is taken at half the recognition weight.",
        "How much the team leader's information sharing (centred on `leader_trait_reference`), as care for staff, "
        "lifts the equilibrium.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.0, 0.12),
    )
    cx_incentive_weight: float = param(
        0.10,
        "engagement per unit of bonus share",
        "Seed 004 (Saarijärvi & Puustinen 2020): CX results in the incentive system; Garbers & Konradt "
        "2014 (meta-analysis): team-based financial incentives raise performance (g = .45). The size "
        "in engagement units is an assumption.",
        "Equilibrium lift at the full CX bonus (a team earning half of it gets half the lift).",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.02, 0.2),
    )
    peer_weight: float = param(
        0.20,
        "engagement per unit of peer deviation",
        "Bakker, Van Emmerik & Euwema 2006: engagement crosses over between team members.",
        "Pull toward collaborators' mean engagement.",
        ge=0,
        le=1,
        plausible=(0.1, 0.3),
    )
    customer_weight: float = param(
        0.10,
        "engagement per unit of satisfaction",
        "Schneider, White & Paul 1998: climate and customer satisfaction reinforce each other; calibrated to "
        "pattern 1 (the two-way link raises the teams' engagement-satisfaction correlation).",
        "Lift from the satisfaction of the accounts an employee serves (centred on `customer_reference`).",
        ge=0,
        le=1,
        plausible=(0.05, 0.25),
    )
    overload_weight: float = param(
        0.35,
        "engagement per unit of overload",
        "Crawford, LePine & Rich 2010: hindrance demands lower engagement.",
        "Drop per unit of smoothed utilisation above capacity.",
        ge=0,
        le=2,
        plausible=(0.2, 0.5),
    )
    complaint_weight: float = param(
        0.04,
        "engagement per open complaint",
        "Crawford, LePine & Rich 2010 (hindrance demand); seed 004 on complaints.",
        "Drop per unresolved complaint the employee is answerable for.",
        ge=0,
        le=1,
        plausible=(0.02, 0.08),
    )
    noise_sd: float = param(
        0.015,
        "engagement/week",
        "Calibrated week-to-week fluctuation.",
        "Weekly noise.",
        ge=0,
        le=0.2,
        plausible=(0.005, 0.03),
    )
    workload_memory: float = param(
        0.15,
        "1/week",
        "Oliva & Sterman 2001: workload is perceived through a smoothed backlog.",
        "Smoothing rate of perceived utilisation.",
        ge=0,
        le=1,
        plausible=(0.08, 0.3),
    )
    leader_trait_reference: float = param(
        0.5,
        "0..1",
        "The midpoint of the 0..1 trait scale: an average leader neither adds nor withholds resources.",
        "Leader support and recognition at which they neither lift nor lower the engagement equilibrium.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.4, 0.6),
    )
    peer_reference: float = param(
        0.5,
        "0..1",
        "The midpoint of the engagement scale (crossover after Bakker, Van Emmerik & Euwema 2006 is "
        "symmetric around it).",
        "Collaborators' mean engagement at which crossover neither lifts nor lowers the equilibrium "
        "(also taken for a seat without filled collaborators).",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.4, 0.6),
    )
    customer_reference: float = param(
        0.7,
        "0..1",
        "Near the satisfaction of a typical B2B account (pattern 4); the centring of the Schneider, "
        "White & Paul 1998 link is not given by the source.",
        "Served accounts' satisfaction at which customers neither lift nor drain engagement (also "
        "taken for a seat that serves nobody).",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.6, 0.8),
    )
    settling_rounds: int = param(
        3,
        "rounds",
        "People start near their engagement equilibrium rather than at their bare disposition; three "
        "rounds bring them most of the way.",
        "Rounds of the engagement equilibrium applied to the initial workforce before the first week.",
        assumption=True,
        ge=0,
        le=100,
        plausible=(1, 6),
    )


class StaffingParameters(Strict):
    """Quits, vacancies and hires: knowledge walks out of the door."""

    base_quit_rate: float = param(
        0.0022,
        "1/week",
        "About 11 %/yr voluntary turnover in professional services (SHRM benchmarks).",
        "Weekly quit hazard of an employee at `quit_reference_engagement`.",
        ge=0,
        le=0.2,
        plausible=(0.0016, 0.0032),
    )
    quit_engagement_sensitivity: float = param(
        3.0,
        "log-hazard per unit of engagement",
        "Harter et al. 2002: low-engagement units have markedly higher turnover.",
        "Quit hazard multiplies by exp(s * (quit_reference_engagement - engagement)).",
        ge=0,
        le=10,
        plausible=(1.5, 4.5),
    )
    quit_overload_sensitivity: float = param(
        2.5,
        "log-hazard per unit of overload",
        "Bakker & Demerouti 2007 (health-impairment process: demands -> exhaustion -> turnover); Aiken et al. "
        "2002 (JAMA 288:1987: nurses caring for 8 patients instead of 4 were about twice as likely to be burnt "
        "out, and burnt-out, dissatisfied nurses several times as likely to mean to leave within a year). No "
        "source gives the hazard itself: taken so that it doubles at about a quarter more work than capacity "
        "and more than triples at half as much again.",
        "Quit hazard multiplies by exp(s * max(0, utilisation - 1)): exhaustion from sustained overload, apart from "
        "what overload does to engagement.",
        assumption=True,
        ge=0,
        le=20,
        plausible=(1.0, 5.0),
    )
    hiring_delay_weeks: float = param(
        8.0,
        "weeks",
        "Typical time-to-fill of a professional position (SHRM: about 6-10 weeks).",
        "Mean vacancy duration (geometric).",
        ge=0,
        le=104,
        plausible=(5.0, 12.0),
    )
    quit_reference_engagement: float = param(
        0.5,
        "0..1",
        "The midpoint of the engagement scale, where the benchmark turnover is taken to apply.",
        "Engagement at which the quit hazard equals `base_quit_rate`.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.4, 0.6),
    )
    new_hire_skill: float = param(
        0.35,
        "0..1",
        "Calibrated: a new hire knows the trade, not our services.",
        "Skill at hire.",
        ge=0,
        le=1,
        plausible=(0.25, 0.45),
    )
    experienced_skill_mean: float = param(
        0.6, "0..1", "Calibrated.", "Mean skill of the initial workforce.", ge=0, le=1, plausible=(0.5, 0.7)
    )
    experienced_skill_sd: float = param(
        0.1,
        "0..1",
        "Calibrated.",
        "Spread of the initial workforce's skill (clipped to `experienced_skill_min`-`experienced_skill_max`).",
        ge=0,
        le=0.5,
        plausible=(0.05, 0.15),
    )
    experienced_skill_min: float = param(
        0.05,
        "0..1",
        "Nobody in the initial workforce is without any know-how.",
        "Lowest skill drawn for the initial workforce.",
        assumption=True,
        ge=0,
        le=0.5,
        plausible=(0.0, 0.15),
    )
    experienced_skill_max: float = param(
        0.95,
        "0..1",
        "Nobody in the initial workforce has nothing left to learn.",
        "Highest skill drawn for the initial workforce.",
        assumption=True,
        ge=0.5,
        le=1,
        plausible=(0.85, 1.0),
    )
    initial_tenure_max_weeks: int = param(
        259,
        "weeks",
        "An established company: the initial workforce joined over the last five years, evenly.",
        "The initial workforce was hired 0 to this many weeks before week 0 (uniform).",
        assumption=True,
        ge=0,
        le=5200,
        plausible=(156, 520),
    )
    orientation_mean: float = param(
        0.55,
        "0..1",
        "Seed 004: service orientation and emotional intelligence vary from person to person.",
        "Mean service orientation of a hire recruited the usual way.",
        ge=0,
        le=1,
        plausible=(0.45, 0.65),
    )
    orientation_sd: float = param(
        0.15,
        "0..1",
        "Calibrated.",
        "Spread of service orientation between people.",
        ge=0,
        le=0.5,
        plausible=(0.08, 0.22),
    )
    learning_rate: float = param(
        0.01,
        "1/week",
        "Calibrated learning on the job (about a year to close half the gap).",
        "Share of the gap to the skill ceiling closed per week of work.",
        ge=0,
        le=1,
        plausible=(0.005, 0.02),
    )
    skill_ceiling: float = param(
        0.7,
        "0..1",
        "Calibrated: what experience alone teaches.",
        "Skill reached without training.",
        ge=0,
        le=1,
        plausible=(0.6, 0.8),
    )


class TrainingParameters(Strict):
    """Licence to sell / licence to deliver (seed 003) and recruiting for attitude (seed 004)."""

    licence_skill: float = param(
        0.9,
        "0..1",
        "Seed 003: a licence 'to prepare for every event ... so that there is nothing to criticize'.",
        "Skill ceiling of a licensed employee.",
        ge=0,
        le=1,
        plausible=(0.8, 0.95),
    )
    licence_weeks: float = param(
        12.0,
        "weeks",
        "Calibrated length of a certification programme.",
        "Time to earn the licence.",
        ge=1,
        le=104,
        plausible=(6.0, 26.0),
    )
    training_time_share: float = param(
        0.1,
        "share of capacity",
        "Calibrated: training costs working time while it runs.",
        "Capacity given up while an employee trains (below 1: a trainee still serves some customers).",
        ge=0,
        le=0.9,
        plausible=(0.05, 0.2),
    )
    attitude_shift: float = param(
        0.15,
        "0..1",
        "Seed 004 (Korkiakoski & Gerdt 2016): attitude should weigh more than technical skills.",
        "Rise of new hires' service orientation when recruiting for attitude.",
        ge=0,
        le=1,
        plausible=(0.05, 0.25),
    )
    attitude_disposition_share: float = param(
        0.5,
        "share of attitude_shift",
        "Seed 004 names attitude, not engagement; a hire recruited for attitude is taken to bring part of "
        "it as engagement disposition.",
        "Share of `attitude_shift` added to new hires' engagement disposition mean when recruiting for attitude.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.2, 0.8),
    )


class ServiceParameters(Strict):
    """Quality of a touchpoint, service failures and their recovery."""

    base_quality: float = param(
        0.505,
        "0..1",
        "Calibrated intercept (to B2B NPS about 15 and annual churn about 11 % at the baseline).",
        "Quality with every driver at zero.",
        ge=0,
        le=1,
        plausible=(0.475, 0.535),
    )
    perception_noise_sd: float = param(
        0.08,
        "quality",
        "Calibrated: customers perceive the same service differently (spread of NPS answers).",
        "Spread of perceived quality around the delivered quality.",
        ge=0,
        le=1,
        plausible=(0.04, 0.12),
    )
    engagement_weight: float = param(
        0.22,
        "quality per unit",
        "Harter, Schmidt & Hayes 2002: engagement-customer link r about .2-.33.",
        "Quality gained per unit of the server's engagement.",
        ge=0,
        le=1,
        plausible=(0.18, 0.26),
    )
    skill_weight: float = param(
        0.2,
        "quality per unit",
        "Seed 003: know-how and education.",
        "Quality per unit of skill.",
        ge=0,
        le=1,
        plausible=(0.155, 0.245),
    )
    orientation_weight: float = param(
        0.12,
        "quality per unit",
        "Seed 004: service-minded, emotionally intelligent 'MVPs'.",
        "Quality per unit of service orientation.",
        ge=0,
        le=1,
        plausible=(0.07, 0.17),
    )
    richness_weight: float = param(
        0.14,
        "quality per unit",
        "Daft & Lengel 1986 media richness; seed 003 channel list.",
        "Quality per unit of channel richness.",
        ge=0,
        le=1,
        plausible=(0.095, 0.185),
    )
    slow_response_penalty: float = param(
        0.05,
        "quality per week of delay",
        "Daft & Lengel 1986; seed 003: transparency and response in maintenance.",
        "Quality lost per week the customer waits for an answer (longer when overloaded).",
        ge=0,
        le=1,
        plausible=(0.02, 0.1),
    )
    overload_penalty: float = param(
        0.2,
        "quality per unit of overtime",
        "Oliva & Sterman 2001: overtime brings fatigue, and tired staff serve worse.",
        "Quality lost per unit of work actually done above capacity (the overtime left after corners are cut).",
        ge=0,
        le=1,
        plausible=(0.1, 0.3),
    )
    corner_cutting: float = param(
        0.5,
        "elasticity",
        "Oliva & Sterman 2001 ('cutting corners and working overtime'): under work pressure staff both give "
        "less time per order and work longer; the split between the two is taken as even.",
        "Time given per touchpoint = service standard x pressure^(-corner_cutting) when the pressure (work at the "
        "standard / capacity) exceeds 1; the rest of the excess is worked as overtime. 0 switches corner cutting "
        "(and with it the erosion of standards) off.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.25, 0.75),
    )
    time_shortfall_penalty: float = param(
        0.4,
        "quality per unit of time shortfall",
        "Oliva & Sterman 2001: service quality rises with the time given per order relative to the time the "
        "work requires. No source gives the size: a touchpoint given 80 % of the time it requires loses 0.08, "
        "what a server 0.36 less engaged loses (`engagement_weight`); twice the overtime penalty, since cutting "
        "corners is what erodes quality in Oliva & Sterman.",
        "Quality lost per unit of (1 - time given / time required) at a touchpoint.",
        assumption=True,
        ge=0,
        le=2,
        plausible=(0.2, 0.8),
    )
    standard_erosion_weeks: float = param(
        2.0,
        "weeks",
        "Oliva & Sterman 2001: the service standard is anchored on the time actually given, so it erodes "
        "under sustained pressure; staff settle into a faster routine within weeks.",
        "Time constant with which a unit's service standard falls toward the time actually given.",
        assumption=True,
        ge=1,
        le=520,
        plausible=(1.0, 8.0),
    )
    standard_recovery_weeks: float = param(
        52.0,
        "weeks",
        "Oliva & Sterman 2001: eroded standards are restored only slowly (they found no restoring force "
        "short of management attention); taken as about a year, far slower than erosion.",
        "Time constant with which a unit's service standard rises toward the time its people could give.",
        assumption=True,
        ge=1,
        le=5200,
        plausible=(26.0, 104.0),
    )
    base_failure_rate: float = param(
        0.05,
        "per touchpoint",
        "Calibrated to a few % of interactions going wrong.",
        "Failure probability.",
        ge=0,
        le=1,
        plausible=(0.03, 0.08),
    )
    overload_failure_gain: float = param(
        2.5,
        "per unit of overload",
        "Oliva & Sterman 2001: errors rise with work pressure.",
        "Failure odds multiply by (1 + gain * (overtime + time shortfall)): work above capacity and corners cut.",
        ge=0,
        le=20,
        plausible=(1.5, 4.0),
    )
    skill_failure_protection: float = param(
        0.5,
        "share",
        "Calibrated.",
        "Share of failures a fully skilled employee avoids.",
        ge=0,
        le=1,
        plausible=(0.3, 0.7),
    )
    failure_quality_loss: float = param(
        0.45,
        "quality",
        "TARP: an unresolved problem is the worst experience.",
        "Quality lost by an unrecovered failure.",
        ge=0,
        le=1,
        plausible=(0.35, 0.55),
    )
    recovered_quality_loss: float = param(
        0.04,
        "quality",
        "TARP; de Matos et al. 2007: quick recovery nearly restores satisfaction; calibrated to pattern 6 (quick "
        "recovery - no failure in [-0.01, +0.02]).",
        "Quality lost by a failure recovered on the spot.",
        ge=0,
        le=1,
        plausible=(0.04, 0.12),
    )
    recovery_paradox_bonus: float = param(
        0.14,
        "quality",
        "de Matos et al. 2007; Maxham & Netemeyer 2002: small, only after a first failure; calibrated to pattern 6 "
        "with `recovered_quality_loss`.",
        "Extra quality of a recovery when it is the account's first recent failure.",
        ge=0,
        le=0.2,
        plausible=(0.04, 0.16),
    )
    first_failure_window_weeks: int = param(
        13,
        "weeks",
        "Maxham & Netemeyer 2002: the recovery paradox holds after a first failure, not after repeated ones.",
        "A failure counts as the account's first when it had none in this many weeks.",
        ge=1,
        le=520,
        plausible=(8, 26),
    )
    base_recovery_rate: float = param(
        0.25,
        "probability",
        "Calibrated.",
        "Chance a non-empowered employee fixes a failure on the spot.",
        ge=0,
        le=1,
        plausible=(0.15, 0.35),
    )
    empowered_recovery_rate: float = param(
        0.55,
        "probability per unit of engagement",
        "Seed 004 (Saarijärvi & Puustinen 2020): empowered staff fix issues readily.",
        "Added recovery chance of an empowered employee, scaled by engagement.",
        ge=0,
        le=1,
        plausible=(0.4, 0.7),
    )
    complaint_resolution_rate: float = param(
        0.15,
        "1/week",
        "Calibrated escalation handling (several weeks).",
        "Weekly chance an escalation is resolved.",
        ge=0,
        le=1,
        plausible=(0.1, 0.25),
    )
    empowered_resolution_factor: float = param(
        1.5,
        "ratio",
        "Seed 004: empowered staff settle complaints themselves instead of escalating them.",
        "Multiplier on the complaint resolution rate when staff are empowered.",
        ge=1,
        le=10,
        plausible=(1.2, 2.0),
    )
    resolution_boost: float = param(
        0.06,
        "satisfaction",
        "TARP: slow resolution beats none, but less than quick recovery.",
        "Satisfaction regained when an escalated complaint is resolved.",
        ge=0,
        le=1,
        plausible=(0.03, 0.09),
    )
    escalated_touchpoint_share: float = param(
        1.0,
        "share of touchpoints",
        "Seed 004: a customer whose problem is not solved needs personal service (an effortless transition "
        "from one channel to another); until the complaint is resolved every contact is taken to be personal.",
        "With `policies.channel_escalation`, the share of an account's touchpoints that go to the richest channel "
        "of its stage while the account has an open complaint.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.5, 1.0),
    )
    escalation_resolution_rate: float = param(
        0.5,
        "probability",
        "Seed 004: a complaint handled quickly over a personal channel, and the issue fixed, raises satisfaction "
        "greatly; that half of such contacts settle the matter is an assumption (between on-the-spot recovery, "
        "`base_recovery_rate`, and an empowered engaged employee's).",
        "With `policies.channel_escalation`, the chance that an escalated touchpoint that does not fail settles the "
        "account's open complaint (the account regains `resolution_boost`).",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.3, 0.7),
    )


class SatisfactionParameters(Strict):
    """Expectation-disconfirmation (Oliver 1980) with a direct performance path."""

    performance_weight: float = param(
        0.6,
        "share",
        "Churchill & Surprenant 1982: performance acts on satisfaction directly, besides disconfirmation.",
        "Weight of perceived quality itself in a touchpoint's satisfaction.",
        ge=0,
        le=1,
        plausible=(0.4, 0.8),
    )
    disconfirmation_gain: float = param(
        0.9,
        "satisfaction per unit gap",
        "Oliver 1980.",
        "Satisfaction moved per unit of disconfirmation.",
        ge=0,
        le=5,
        plausible=(0.6, 1.2),
    )
    negative_gap_weight: float = param(
        2.0,
        "ratio",
        "Anderson & Sullivan 1993; Mittal, Ross & Baldasare 1998: negative gaps weigh about twice.",
        "Multiplier on a negative disconfirmation.",
        ge=1,
        le=10,
        plausible=(1.5, 2.5),
    )
    memory: float = param(
        0.25,
        "share",
        "Bolton 1998: cumulative satisfaction updates with each experience.",
        "Weight of this week's experience in cumulative satisfaction.",
        ge=0,
        le=1,
        plausible=(0.15, 0.35),
    )
    expectation_adaptation: float = param(
        0.05,
        "1/account-week",
        "Oliver 1980; Bolton 1998: expectations adapt toward experience.",
        "Share of the gap between the week's mean perceived quality and the expectation closed per account-week.",
        ge=0,
        le=1,
        plausible=(0.02, 0.1),
    )
    initial_satisfaction: float = param(
        0.78,
        "0..1",
        "Calibrated to B2B NPS about 18 (pattern 4).",
        "Mean satisfaction of existing accounts.",
        ge=0,
        le=1,
        plausible=(0.74, 0.82),
    )
    initial_satisfaction_sd: float = param(
        0.1,
        "0..1",
        "Calibrated.",
        "Spread of the existing accounts' satisfaction.",
        ge=0,
        le=0.5,
        plausible=(0.06, 0.14),
    )
    prospect_satisfaction: float = param(
        0.7,
        "0..1",
        "Calibrated: a neutral-to-favourable first impression of a supplier the prospect is talking to.",
        "Mean satisfaction a new prospect starts with.",
        ge=0,
        le=1,
        plausible=(0.65, 0.75),
    )
    prospect_satisfaction_sd: float = param(
        0.08,
        "0..1",
        "Calibrated.",
        "Spread of new prospects' starting satisfaction.",
        ge=0,
        le=0.5,
        plausible=(0.05, 0.12),
    )


class JourneyParameters(Strict):
    """Touchpoint rates and transitions between the four stages (seed 003)."""

    pre_purchase_touchpoints: float = param(
        0.6,
        "per account-week",
        "Seed 003: wide multichannel marketing.",
        "Touchpoint rate of prospects.",
        ge=0,
        le=20,
        plausible=(0.4, 0.9),
    )
    purchase_touchpoints: float = param(
        1.2,
        "per account-week",
        "Seed 003: meetings customise the offer.",
        "Touchpoint rate in purchase.",
        ge=0,
        le=20,
        plausible=(0.8, 1.6),
    )
    delivery_touchpoints: float = param(
        1.5,
        "per account-week",
        "Seed 003: face-to-face meetings and chat in projects.",
        "Touchpoint rate in delivery.",
        ge=0,
        le=20,
        plausible=(1.0, 2.0),
    )
    maintenance_touchpoints: float = param(
        0.35,
        "per account-week",
        "Seed 003: email tickets.",
        "Ticket rate in maintenance.",
        ge=0,
        le=20,
        plausible=(0.2, 0.5),
    )
    conversion_rate: float = param(
        0.06,
        "1/week",
        "Calibrated: a quarter from lead to opportunity.",
        "Weekly chance a prospect at `experience_reference` enters purchase at neutral reputation.",
        ge=0,
        le=1,
        plausible=(0.04, 0.09),
    )
    conversion_satisfaction_slope: float = param(
        4.0,
        "log-odds per unit",
        "Calibrated.",
        "How pre-purchase experience moves conversion.",
        ge=0,
        le=50,
        plausible=(2.0, 6.0),
    )
    reputation_effect: float = param(
        2.0,
        "log-odds per unit",
        "Calibrated word-of-mouth effect on conversion.",
        "Reputation's pull on conversion.",
        ge=0,
        le=50,
        plausible=(1.0, 3.0),
    )
    prospect_dropout: float = param(
        0.04,
        "1/week",
        "Calibrated: most leads go cold within half a year.",
        "Weekly chance a prospect leaves.",
        ge=0,
        le=1,
        plausible=(0.025, 0.06),
    )
    close_rate: float = param(
        0.12,
        "1/week",
        "Calibrated: about two months in purchase.",
        "Weekly chance a deal is decided.",
        ge=0,
        le=1,
        plausible=(0.08, 0.18),
    )
    win_satisfaction_slope: float = param(
        6.0,
        "log-odds per unit",
        "Calibrated.",
        "How the purchase experience moves the win rate.",
        ge=0,
        le=50,
        plausible=(3.0, 9.0),
    )
    win_rate: float = param(
        0.65,
        "probability",
        "Calibrated B2B win rate of qualified deals.",
        "Win chance at satisfaction `experience_reference`.",
        ge=0,
        le=1,
        plausible=(0.5, 0.75),
    )
    price_win_sensitivity: float = param(
        2.0,
        "log-odds per unit of price change",
        "No seed gives a price elasticity; set equal to `renewal.price_churn_sensitivity`.",
        "Fall of a deal's win log-odds per unit of `policies.price_change` (a dearer offer wins less often).",
        assumption=True,
        ge=0,
        le=50,
        plausible=(0.5, 4.0),
    )
    project_weeks: float = param(
        16.0,
        "weeks",
        "Seed 003: mid-size projects, 1-3 people each.",
        "Mean delivery project length.",
        gt=0,
        le=260,
        plausible=(10.0, 26.0),
    )
    new_project_rate: float = param(
        0.012,
        "1/account-week",
        "Seed 003 (turnover from existing customers); Verhoef, Franses & Hoekstra 2001: satisfied customers buy more.",
        "Weekly chance a maintenance customer at `experience_reference` orders a new project (proportional to "
        "satisfaction).",
        ge=0,
        le=1,
        plausible=(0.006, 0.02),
    )
    contract_weeks: int = param(
        52, "weeks", "Annual B2B service contracts.", "Contract term until renewal.", gt=0, le=520, plausible=(26, 104)
    )
    contract_value_spread: float = param(
        0.3,
        "log-sd",
        "Calibrated: contract values vary within a segment.",
        "Contract value = segment value x LogNormal(0, spread).",
        ge=0,
        le=2,
        plausible=(0.15, 0.5),
    )
    portfolio_headroom: float = param(
        1.15,
        "ratio",
        "Calibrated: a unit spreads accounts evenly but lets collaborators take a little more.",
        "Target portfolio as a multiple of the unit's mean portfolio when assigning accounts.",
        ge=1,
        le=5,
        plausible=(1.05, 1.3),
    )
    projects_per_delivery_employee: float = param(
        2.5,
        "projects",
        "Seed 003: 'each employee involved has typically two to three projects'.",
        "Target number of projects per delivery employee when assigning work.",
        gt=0,
        le=100,
        plausible=(2.0, 3.0),
    )
    experience_reference: float = param(
        0.75,
        "0..1",
        "A satisfied account (LTR 7-8, a passive in Reichheld 2003): the level at which the calibrated base "
        "rates are read.",
        "Experience at which conversion, winning and repeat orders run at `conversion_rate`, `win_rate` and "
        "`new_project_rate`.",
        assumption=True,
        gt=0,
        le=1,
        plausible=(0.7, 0.8),
    )
    initial_account_age_max_weeks: int = param(
        259,
        "weeks",
        "An established customer base: the initial accounts were won over the last five years, evenly.",
        "The initial accounts were created 1 to this many weeks before week 0 (uniform).",
        assumption=True,
        ge=1,
        le=5200,
        plausible=(156, 520),
    )
    assignment_slices: int = param(
        4,
        "slices per unit size",
        "A batch is split so that each slice sees the portfolios the previous ones filled.",
        "A batch of accounts is assigned in slices of (the unit's seats / this) accounts.",
        assumption=True,
        ge=1,
        le=1000,
        plausible=(2, 8),
    )
    assignment_room_floor: float = param(
        1e-3,
        "accounts",
        "A small weight: a unit whose seats are all at the target still takes the account.",
        "Weight of a seat with no room below the target portfolio (or vacant) when drawing a seat.",
        assumption=True,
        gt=0,
        le=100,
        plausible=(0.0001, 0.01),
    )


class RenewalParameters(Strict):
    """Renewal at contract end: logistic in satisfaction (B2B churn happens at renewal)."""

    churn_intercept: float = param(
        9.6,
        "log-odds",
        "Calibrated with `churn_slope` to gross revenue retention 90-93 % (SaaS Capital retention surveys; pattern 3).",
        "Log-odds of churning at satisfaction 0.",
        ge=-20,
        le=20,
        plausible=(9.2, 10.8),
    )
    churn_slope: float = param(
        16.0,
        "log-odds per unit",
        "Jones & Sasser 1995: completely satisfied customers stay about 6 times more often than merely satisfied "
        "ones; calibrated to that ratio at renewal (pattern 5).",
        "Fall of the churn log-odds per unit of satisfaction.",
        ge=0,
        le=50,
        plausible=(14.4, 16.6),
    )
    expansion_rate: float = param(
        0.25,
        "share of contract value",
        "Calibrated to net revenue retention about 100-110 % (SaaS Capital).",
        "Contract value change at renewal of a fully satisfied account; linear in satisfaction, zero at "
        "`neutral_satisfaction`, negative below.",
        ge=0,
        le=2,
        plausible=(0.15, 0.35),
    )
    neutral_satisfaction: float = param(
        0.5,
        "0..1",
        "The midpoint of the satisfaction scale: below it a customer negotiates the price down.",
        "Satisfaction at which a renewal keeps the contract value.",
        assumption=True,
        ge=0,
        lt=1,
        plausible=(0.4, 0.6),
    )
    price_churn_sensitivity: float = param(
        2.0,
        "log-odds per unit of relative price rise",
        "No seed gives a price elasticity; B2B service contracts are sticky, so a 10 % price rise is taken to add "
        "0.2 to the log-odds of churning at renewal (about 11 % -> 13 % churn).",
        "Rise of the churn log-odds at renewal per unit of relative price rise since the contract was last priced "
        "(`policies.price_change`).",
        assumption=True,
        ge=0,
        le=50,
        plausible=(0.5, 4.0),
    )
    min_value_factor: float = param(
        0.5,
        "ratio",
        "A renewal at most halves the contract.",
        "Lowest factor on the contract value at renewal.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.3, 0.7),
    )
    max_value_factor: float = param(
        2.0,
        "ratio",
        "A renewal at most doubles the contract.",
        "Highest factor on the contract value at renewal.",
        assumption=True,
        ge=1,
        le=10,
        plausible=(1.5, 3.0),
    )


class WordOfMouthParameters(Strict):
    """Reputation: the customers' smoothed promoter-detractor balance (Reichheld 2003)."""

    reputation_reference: float = param(
        0.2,
        "NPS share",
        "B2B services NPS about 18 (pattern 4): the market's prior about a typical supplier.",
        "Reputation at which word of mouth neither helps nor hurts conversion or the imitation term of the market.",
        ge=-1,
        le=1,
        plausible=(0.1, 0.3),
    )
    reputation_memory: float = param(
        0.05,
        "1/week",
        "Calibrated: reputation moves over months.",
        "Smoothing of the promoter-detractor balance.",
        ge=0,
        le=1,
        plausible=(0.02, 0.1),
    )


class MarketParameters(Strict):
    """Acquisition from a finite market: Bass (1969) diffusion over each segment's market potential.

    Rates are per year, as the diffusion literature reports them; the model converts them to weeks.
    """

    innovation: float = param(
        0.03,
        "1/year",
        "Bass 1969 coefficient of innovation p; Sultan, Farley & Lehmann 1990 (meta-analysis of 213 "
        "applications): mean p about .03.",
        "Yearly hazard that an account still in the market enters the pipeline through marketing and sales "
        "effort alone.",
        ge=0,
        le=10,
        plausible=(0.01, 0.06),
    )
    imitation: float = param(
        0.38,
        "1/year",
        "Bass 1969 coefficient of imitation q; Sultan, Farley & Lehmann 1990: mean q about .38.",
        "Yearly hazard, times the segment's customers / market potential, that an account still in the market "
        "enters the pipeline through word of mouth (at reputation `word_of_mouth.reputation_reference`).",
        ge=0,
        le=10,
        plausible=(0.2, 0.6),
    )
    reputation_effect: float = param(
        2.0,
        "log-multiplier per unit of reputation",
        "Word of mouth carries valence: promoters recommend, detractors warn (Reichheld 2003; Anderson 1998); "
        "the size is set equal to reputation's pull on conversion (`journey.reputation_effect`). 0 gives "
        "pure Bass imitation.",
        "The imitation term multiplies by exp(effect * (reputation - word_of_mouth.reputation_reference)).",
        assumption=True,
        ge=0,
        le=50,
        plausible=(0.5, 4.0),
    )
    return_weeks: int = param(
        52,
        "weeks",
        "A churned customer or a lost prospect has signed with someone else; it can be won back once that "
        "contract (`journey.contract_weeks`, a year) is up.",
        "Weeks after which an account that churned or was lost rejoins the market.",
        assumption=True,
        ge=0,
        le=5200,
        plausible=(26, 104),
    )


class InformationParameters(Strict):
    """Customer facts, who holds them and how they spread (seed 000 5.4, seed 004); the sales promise and the
    sales-to-delivery handoff of requirements (seed 003)."""

    facts_per_account: int = param(
        4,
        "facts",
        "Seed 004: what a server must know so that the customer need not repeat themselves is what the customer "
        "said lately; four recent matters are taken as that working picture.",
        "Facts kept per account: its latest ones, each with the week it was said (older facts are superseded).",
        assumption=True,
        ge=1,
        le=16,
        plausible=(2, 8),
    )
    news_rate: float = param(
        0.12,
        "1/account-week",
        "Seed 000: 'how quickly does new information about a customer disseminate' presumes it arrives often.",
        "Weekly chance a customer tells whoever serves them now something new (a new fact).",
        ge=0,
        le=1,
        plausible=(0.06, 0.2),
    )
    touchpoint_news_share: float = param(
        0.5,
        "share of touchpoints",
        "Seed 003: needs are customised and co-created in conversation.",
        "Share of served touchpoints at which the customer says something new (a new fact the server learns).",
        ge=0,
        le=1,
        plausible=(0.3, 0.7),
    )
    peer_share_rate: float = param(
        0.4,
        "1/week",
        "Independent cascade (Kempe, Kleinberg & Tardos 2003) gives the form, not the value: a fully engaged "
        "collaborator in a fully sharing team is taken to pass a given customer matter on within two to three "
        "weeks, an average one within about five.",
        "Per-contact probability: weekly chance that a fully engaged holder of a fact, in a fully sharing culture, "
        "passes it to one collaborator (each holder tries each tie every week).",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.2, 0.6),
    )
    culture_floor: float = param(
        0.5,
        "share",
        "Seed 000 5.4.1 makes sharing a leadership matter but not the only channel: people pass news on "
        "even under a leader who shares nothing.",
        "Sharing culture of a team whose leader shares nothing in a company without a sharing norm; it rises "
        "linearly to 1 with the leader's information sharing and the norm.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.3, 0.7),
    )
    norm_weight: float = param(
        0.3,
        "share",
        "Seed 000 5.4.1 and seed 004 ('leading by example'): top management's commitment sets a company-wide "
        "norm; the team leader, closest to the people, is taken to weigh more than the norm.",
        "Weight of the executive team's CX commitment (the sharing norm) against the team leader's information "
        "sharing in a sender's sharing culture.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.1, 0.5),
    )
    relevance_weeks: int = param(
        2,
        "weeks",
        "Seed 000 5.4.1 ('timely ... information about an existing or new customer'); seed 003: weekly and "
        "bi-weekly team meetings. News is taken to stay news for a fortnight, one meeting cycle.",
        "A fact is fresh for this many weeks. People not on the account's team hold and pass on only fresh facts; "
        "the account's team keeps its facts until newer ones supersede them.",
        assumption=True,
        ge=1,
        le=520,
        plausible=(1, 4),
    )
    meeting_share: float = param(
        0.25,
        "share",
        "Seed 000 5.4.1: timely workplace information from the leadership system; a team meeting has time for "
        "a few of each member's customer matters, taken as a quarter of a fortnight's news.",
        "Chance that a fresh fact a team member holds about an account they serve comes up at the team meeting "
        "of a fully sharing team leader (then every member hears it).",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.1, 0.4),
    )
    executive_share: float = param(
        0.3,
        "share",
        "Seed 003: CX management is concentrated in the executive team.",
        "Chance that a fact raised at one unit's team meetings reaches the account's team member in another unit "
        "through the executive meeting (times the two units' information sharing).",
        ge=0,
        le=1,
        plausible=(0.2, 0.4),
    )
    logging_share: float = param(
        0.6,
        "share of facts",
        "Seed 000 5.4.3 ('integrated technologies') names the record, not how full it is: people are taken to "
        "log three in five of the customer matters they hear.",
        "With a shared customer record: share of the facts a person hears from the customer that they log.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.3, 0.9),
    )
    repeat_cost: float = param(
        0.05,
        "quality per missing fact",
        "Seed 004 (an effortless transition: the customer should not need to repeat themselves); Dixon, Freeman & "
        "Toman 2010 (HBR): having to repeat information is among the main drivers of disloyalty. The size is "
        "taken so that a server who lacks all recent facts loses about as much as an unrecovered failure half.",
        "Quality lost at a touchpoint per recent fact the server lacks (the customer repeats themselves).",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.02, 0.08),
    )
    wrong_action_rate: float = param(
        0.02,
        "probability per missing fact",
        "Seed 004: acting on an outdated picture of the customer; the size is taken at half the base failure rate.",
        "Chance per recent fact the server lacks that the touchpoint fails (a wrong action).",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.01, 0.04),
    )
    requirements_per_project: int = param(
        6,
        "requirements",
        "Seed 003: user stories carry a project's desired features; a handful of key requirements per mid-size "
        "project is taken.",
        "Requirements sales agrees with the customer for each project (won deal or repeat project).",
        assumption=True,
        ge=0,
        le=100,
        plausible=(3, 10),
    )
    overpromise_rate: float = param(
        0.25,
        "probability per requirement",
        "Seed 003: a licence to sell prepares salespeople so 'that there is nothing to criticize'; an unskilled "
        "salesperson is taken to over-promise one requirement in four.",
        "Chance that sales promises a requirement beyond what delivery can do, times (1 - the salesperson's skill).",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.1, 0.4),
    )
    overpromise_lift: float = param(
        0.03,
        "expectation per over-promised requirement",
        "Seed 003 ('the forwarded message should typify the upcoming events in later phases'): a promise sets "
        "what the customer expects from delivery; size assumed.",
        "Rise of the account's delivery expectation above its segment's for each over-promised requirement.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.01, 0.05),
    )
    handoff_fidelity: float = param(
        0.75,
        "probability",
        "Seed 003: the sales-to-delivery transfer is where miscommunication happens; a plain handoff is taken to "
        "lose one requirement in four.",
        "Chance that a requirement (and each fact the salesperson holds) reaches delivery in a plain handoff.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.6, 0.9),
    )
    transfer_meeting_gain: float = param(
        0.16,
        "probability",
        "Seed 003: a transfer meeting at every handoff; taken to prevent about two thirds of a plain handoff's losses.",
        "Fidelity added by the transfer meeting.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.08, 0.22),
    )
    user_stories_gain: float = param(
        0.06,
        "probability",
        "Seed 003: user stories 'decrease the chance of miscommunication'; taken as a smaller gain than the meeting.",
        "Fidelity added by user stories.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.02, 0.1),
    )
    rework_rate: float = param(
        0.012,
        "probability per missing requirement",
        "Boehm & Basili 2001: avoidable rework takes 40-50 % of software project effort; taken so that about "
        "that share of the baseline's delivery failures is rework.",
        "Chance per missing requirement (lost at the handoff or over-promised) that a delivery touchpoint fails "
        "(rework), for the whole project.",
        ge=0,
        le=1,
        plausible=(0.008, 0.016),
    )
    missing_requirement_cost: float = param(
        0.06,
        "quality per missing requirement",
        "Seed 003 (user stories let the customer see 'whether it delivers the aimed features'); the size is "
        "taken so that a project missing one requirement in six falls short by about a disconfirmation's "
        "worth of quality in every meeting.",
        "Quality lost at each delivery touchpoint per missing requirement (what is delivered falls short of what "
        "was promised).",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.03, 0.09),
    )
    user_stories_failure_cut: float = param(
        0.25,
        "share",
        "Seed 003: predefined user stories as quality checkpoints in delivery.",
        "Share of delivery failures that user stories prevent.",
        ge=0,
        le=1,
        plausible=(0.1, 0.4),
    )
    info_age_cap_weeks: float = param(
        52.0,
        "weeks",
        "Reporting convention: older is 'knows nothing'.",
        "Cap on a reported information age.",
        gt=0,
        le=5200,
        plausible=(26.0, 104.0),
    )
    initial_knowledge_age_max_weeks: int = param(
        26,
        "weeks",
        "The initial accounts said something new within the last half year.",
        "At week 0 each of an account's facts was said 0 to this many weeks ago (uniform).",
        assumption=True,
        ge=0,
        le=520,
        plausible=(13, 52),
    )
    initial_colleague_fact_share: float = param(
        0.5,
        "share",
        "The serving team member heard everything; the other team members heard part of it.",
        "At week 0, chance that a team member outside the serving unit holds each of the account's facts.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.25, 0.75),
    )


class FeedbackParameters(Strict):
    """Survey feedback reaching leaders and becoming process fixes (seed 000 5.4.4, seed 003)."""

    fix_effect: float = param(
        0.12,
        "share",
        "Seed 003: 'negative feedbacks are directly processed'.",
        "Share of one cause's losses on one channel that a team's process fix removes (a fresh report's fix).",
        ge=0,
        le=1,
        plausible=(0.06, 0.18),
    )
    fix_floor: float = param(
        0.4,
        "ratio",
        "Calibrated: some failures cannot be designed away.",
        "Lowest process multiplier fixes reach, as a share of the team's untreated level (the share of a "
        "cause's losses no fix removes).",
        ge=0,
        le=1,
        plausible=(0.25, 0.55),
    )
    process_spread: float = param(
        0.5,
        "log-sd",
        "Frei, Kalakota, Leone & Marx 1999 (Management Science 45:1210): branches and units of one "
        "service firm run the same process with widely different performance, and that process "
        "variation explains much of their outcome differences; Syverson 2011 (J. Econ. Lit. 49:326): "
        "such dispersion persists: 90th/10th percentile ratios of about 1.9 (TFP) to 4 (labour productivity) "
        "within industries, a log-sd of about 0.25-0.55. Calibrated to patterns 1 and "
        "7 (teams' customer satisfaction against their engagement and turnover).",
        "Spread of the teams' untreated processes: a team's untreated multiplier on its losses and "
        "failures is exp(spread x Z), Z standard normal, divided by its unit's mean over teams (a unit's "
        "teams average 1); drawn once per team at week 0.",
        ge=0,
        le=2,
        plausible=(0.25, 0.75),
    )
    process_drift: float = param(
        0.01,
        "1/week",
        "Calibrated: without attention processes decay (Oliva & Sterman 2001, eroding standards).",
        "Weekly return of every process multiplier toward its team's untreated level.",
        ge=0,
        le=1,
        plausible=(0.005, 0.02),
    )
    relevance_weeks: float = param(
        12.0,
        "weeks",
        "A report loses value as it ages: the team has moved on and people have changed (seed 003 on "
        "feedback to teams; the design brief's e^(-age/tau)). Set to a typical project's length.",
        "Time constant of a report's value: a fix made from a report of age a has strength exp(-a / this).",
        assumption=True,
        gt=0,
        le=1000,
        plausible=(6.0, 26.0),
    )
    untargeted_action_share: float = param(
        0.5,
        "ratio",
        "Seed 002: a score is useful when it is connected with the question WHY; a detractor's score "
        "without a reason is harder to act on. The value is an assumption.",
        "How often a leader acts on a report that names no cause, relative to one that does.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.25, 0.75),
    )
    commitment_floor: float = param(
        0.5,
        "share",
        "Seed 000 5.4.1 and seed 004 make CX commitment scale action on feedback, not gate it: a leader "
        "without it still acts on part of what reaches them.",
        "Share of the leader's feedback processing acted on without CX commitment; it rises linearly to 1 "
        "with the leader's commitment.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.25, 0.75),
    )


class MeasurementParameters(Strict):
    """Survey and reporting conventions (Reichheld 2003; seed 002 NPS + WHY)."""

    ltr_noise_sd: float = param(
        1.0,
        "points on 0-10",
        "Calibrated response noise.",
        "Noise of a likelihood-to-recommend answer.",
        ge=0,
        le=5,
        plausible=(0.5, 1.5),
    )
    nps_window_weeks: int = param(
        13,
        "weeks",
        "Reporting convention: a quarter of survey answers.",
        "Window of the surveyed NPS.",
        ge=1,
        le=520,
        plausible=(8, 26),
    )
    why_window_weeks: int = param(
        13,
        "weeks",
        "Seed 002: NPS with its WHY; a quarter's memory.",
        "How far back the worst touchpoint is kept.",
        ge=1,
        le=520,
        plausible=(8, 26),
    )
    promoter_satisfaction: float = param(
        0.85,
        "0..1",
        "Reichheld 2003: promoters answer 9-10; an expected answer of 10 x satisfaction >= 8.5 rounds to 9.",
        "Satisfaction from which a customer counts as a promoter (census NPS, reputation, referrals).",
        ge=0.7,
        le=1,
        plausible=(0.8, 0.9),
    )
    detractor_satisfaction: float = param(
        0.65,
        "0..1",
        "Reichheld 2003: detractors answer 0-6; an expected answer of 10 x satisfaction < 6.5 rounds to 6 or less.",
        "Satisfaction below which a customer counts as a detractor (census NPS, reputation).",
        ge=0,
        le=0.7,
        plausible=(0.6, 0.7),
    )
    cause_threshold: float = param(
        0.02,
        "quality",
        "Seed 002 asks for the why of a score; a shortfall this small is taken to explain nothing.",
        "A touchpoint's largest shortfall must exceed this to be its cause; otherwise the cause is high expectations.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.01, 0.05),
    )
    response_rate: float = param(
        0.5,
        "share of invitations",
        "B2B relationship surveys followed up by the account team get about half of invitations "
        "answered; the value is a round assumption.",
        "Share of survey invitations answered by an account that has not been surveyed lately.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.2, 0.7),
    )
    fatigue_per_survey: float = param(
        0.05,
        "1/invitation",
        "Survey fatigue (Porter, Whitcomb & Weitzer 2004: multiple surveys lower response rates); the "
        "size is an assumption.",
        "Fall of the answer rate per invitation in the fatigue memory: rate x exp(-this x invitations).",
        assumption=True,
        ge=0,
        le=10,
        plausible=(0.0, 0.15),
    )
    fatigue_memory_weeks: float = param(
        52.0,
        "weeks",
        "Reporting convention: an account remembers about a year of invitations.",
        "Time constant over which past invitations tire an account.",
        assumption=True,
        gt=0,
        le=520,
        plausible=(26.0, 104.0),
    )
    cause_reference_level: float = param(
        0.7,
        "0..1",
        "A good, not perfect, server: only engagement or skill below it counts as a shortfall.",
        "Engagement and skill at or above this level do not count as a touchpoint's shortfall.",
        assumption=True,
        ge=0,
        le=1,
        plausible=(0.6, 0.8),
    )


class IncentiveParameters(Strict):
    """CX-linked pay: a team bonus on the team's measured customer score (seed 004, seed 003)."""

    threshold: float = param(
        0.7,
        "score (answer / 10)",
        "Reichheld 2003: answers of 7-8 are passives; pay starts above a passive customer's answer.",
        "Measured score (mean likelihood-to-recommend / 10) at which the bonus starts; it reaches the full bonus at 1.",
        ge=0,
        lt=1,
        plausible=(0.6, 0.8),
    )
    score_memory: float = param(
        0.08,
        "1/week",
        "Reporting convention: bonus plans score a quarter's results (about 1/13 a week).",
        "Weight of a week's answers in a team's smoothed measured score.",
        assumption=True,
        gt=0,
        le=1,
        plausible=(0.04, 0.16),
    )


class CostParameters(Strict):
    """Costs and value of the levers (no behavioural effect: priced from what the run records).

    Salaries, meetings, surveys and incentives are running costs; hiring, onboarding, licence
    training and the recruiting-for-attitude premium are one-off costs per person. Time (meetings,
    transfer meetings, user stories) is priced at the unit's salary per working hour.
    """

    salary_sales: float = param(
        70_000.0,
        "EUR per person-year",
        "Employer cost of a B2B IT sales employee in Western Europe (base, variable pay and social "
        "charges); no seed gives pay, so a round figure of the usual range (55-90 kEUR).",
        "Employer cost of one filled sales seat per year.",
        assumption=True,
        ge=0,
        le=1e7,
        plausible=(55000.0, 90000.0),
    )
    salary_delivery: float = param(
        65_000.0,
        "EUR per person-year",
        "Employer cost of an IT services consultant or engineer in Western Europe; no seed gives pay, "
        "a round figure of the usual range (50-85 kEUR).",
        "Employer cost of one filled delivery seat per year.",
        assumption=True,
        ge=0,
        le=1e7,
        plausible=(50000.0, 85000.0),
    )
    salary_support: float = param(
        45_000.0,
        "EUR per person-year",
        "Employer cost of a service-desk / support employee in Western Europe; no seed gives pay, a "
        "round figure of the usual range (35-60 kEUR).",
        "Employer cost of one filled support seat per year.",
        assumption=True,
        ge=0,
        le=1e7,
        plausible=(35000.0, 60000.0),
    )
    working_hours_per_year: float = param(
        1_600.0,
        "hours per person-year",
        "Annual hours actually worked per employee in Western European countries (OECD, Hours worked, "
        "about 1,350-1,750).",
        "Hours a salary pays for: the hourly rate that prices meeting and project time.",
        ge=100,
        le=3_000,
        plausible=(1350.0, 1750.0),
    )
    hiring_cost: float = param(
        10_000.0,
        "EUR per hire",
        "Recruiting and onboarding of a skilled employee taken as about a sixth of a year's salary; no seed gives it.",
        "Recruiting and onboarding cost of each hire (the new hire's lower skill is modelled apart).",
        assumption=True,
        ge=0,
        le=1e7,
        plausible=(5000.0, 20000.0),
    )
    licence_training_cost: float = param(
        5_000.0,
        "EUR per trainee",
        "Seed 003 describes licences as a certification programme but gives no price; fees, trainers "
        "and material of a multi-week programme taken as 5 kEUR.",
        "Direct cost of licence training per trainee, once (the working time it takes is "
        "`training.training_time_share` of capacity, already in the salaries).",
        assumption=True,
        ge=0,
        le=1e7,
        plausible=(2000.0, 10000.0),
    )
    attitude_premium: float = param(
        2_000.0,
        "EUR per hire",
        "Seed 004 recommends recruiting for attitude but prices nothing; assessment and a longer search "
        "taken as a fifth of the hiring cost.",
        "Extra cost per hire when recruiting for attitude.",
        assumption=True,
        ge=0,
        le=1e7,
        plausible=(500.0, 5000.0),
    )
    meeting_hours: float = param(
        1.0,
        "hours per person per meeting",
        "Seed 003: weekly and bi-weekly team meetings, taken as one hour each.",
        "Working time each employee spends in each of the leaders' information meetings "
        "(every `organization.meeting_every_weeks`).",
        assumption=True,
        ge=0,
        le=40,
        plausible=(0.5, 2.0),
    )
    transfer_meeting_hours: float = param(
        4.0,
        "person-hours per won deal",
        "Seed 003: the sales-to-delivery transfer meeting; taken as two people from sales and two from "
        "delivery for one hour.",
        "Working time of a transfer meeting, half sales and half delivery, when `policies.transfer_meeting`.",
        assumption=True,
        ge=0,
        le=1_000,
        plausible=(2.0, 8.0),
    )
    user_stories_hours: float = param(
        8.0,
        "person-hours per won deal",
        "Seed 003: requirements written as user stories; taken as one delivery working day per deal.",
        "Delivery time spent writing user stories for a won deal, when `policies.user_stories`.",
        assumption=True,
        ge=0,
        le=1_000,
        plausible=(4.0, 16.0),
    )
    survey_cost_per_answer: float = param(
        5.0,
        "EUR per answer",
        "Survey platform fees and handling per completed answer; no seed gives it.",
        "Cost of each survey answer (answers follow `policies.survey_coverage` x touchpoints).",
        assumption=True,
        ge=0,
        le=10_000,
        plausible=(1.0, 15.0),
    )
    cx_incentive_payout: float = param(
        2_000.0,
        "EUR per person-year",
        "Seed 004: CX results in the incentive system; the payout is taken as about 3 % of a salary.",
        "Full CX bonus per filled seat per year when `policies.cx_incentives`; a team is paid its bonus share of it.",
        assumption=True,
        ge=0,
        le=1e6,
        plausible=(1000.0, 5000.0),
    )
    goodwill_per_recovery: float = param(
        200.0,
        "EUR per recovered failure",
        "Seed 004: empowered employees fix problems on the spot; the goodwill gesture (credit, free "
        "hours) is taken as 200 EUR.",
        "Goodwill budget spent per failure recovered on the spot when `policies.empowerment`.",
        assumption=True,
        ge=0,
        le=1e6,
        plausible=(50.0, 500.0),
    )
    record_cost_per_seat_year: float = param(
        1_200.0,
        "EUR per person-year",
        "List prices of CRM suites per user (e.g. Microsoft Dynamics 365 Sales Enterprise about USD 105, "
        "Salesforce Sales Cloud Enterprise about USD 165 per user-month, 2024), rounded down for a volume deal.",
        "Licence and upkeep of the shared customer record per filled seat per year, when "
        "`policies.shared_customer_record`.",
        ge=0,
        le=1e6,
        plausible=(800.0, 2000.0),
    )
    record_minutes_per_fact: float = param(
        2.0,
        "minutes per logged fact",
        "Seed 000 5.4.3 names integrated technology, not its effort; logging one customer matter is taken as "
        "two minutes of the logger's time.",
        "Working time to log one fact in the shared customer record (priced at the logger's hourly rate).",
        assumption=True,
        ge=0,
        le=600,
        plausible=(1.0, 5.0),
    )
    discount_rate: float = param(
        0.08,
        "per year",
        "A common weighted average cost of capital of a listed IT services firm (about 7-10 %); "
        "Gupta, Lehmann & Stuart 2004 discount customer value at 12 %.",
        "Annual rate at which future profit is discounted (`discounted_profit`, `customer_lifetime_value`).",
        ge=0,
        le=1,
        plausible=(0.06, 0.12),
    )


class Parameters(Strict):
    """All submodel parameters; a scenario overrides any of them under ``parameters:``."""

    engagement: EngagementParameters = EngagementParameters()
    staffing: StaffingParameters = StaffingParameters()
    training: TrainingParameters = TrainingParameters()
    service: ServiceParameters = ServiceParameters()
    satisfaction: SatisfactionParameters = SatisfactionParameters()
    journey: JourneyParameters = JourneyParameters()
    renewal: RenewalParameters = RenewalParameters()
    word_of_mouth: WordOfMouthParameters = WordOfMouthParameters()
    market: MarketParameters = MarketParameters()
    information: InformationParameters = InformationParameters()
    feedback: FeedbackParameters = FeedbackParameters()
    measurement: MeasurementParameters = MeasurementParameters()
    incentives: IncentiveParameters = IncentiveParameters()
    costs: CostParameters = CostParameters()
