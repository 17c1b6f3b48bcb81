"""The ten published patterns the model's defaults must reproduce, and their fixed pass bands.

Pattern-oriented modelling (Grimm et al. 2005): a model is believed when several patterns
observed in the field hold at once. Each pattern here states the published claim, its source,
how the model measures it (the unit of analysis, the window) and one or more criteria. The
bands were fixed before any calibration and are never loosened to make a pattern pass.

A criterion passes when:

* ``band``: the estimate lies inside [low, high] and its 95 % interval is no wider than the band
  (so that the replications pin the number down to the band's precision; a one-sided band puts
  no limit on the width);
* ``above`` / ``below``: the whole 95 % interval lies above ``low`` / below ``high`` (an
  ordering or a direction that the replications must establish, not merely suggest).

A pattern passes when every one of its criteria passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BAND, ABOVE, BELOW = "band", "above", "below"
INF = math.inf
#: the exit code of ``cxsim validate`` when a pattern fails (the report is written all the same)
PATTERN_FAILED = 3


@dataclass(frozen=True)
class Criterion:
    """One number a pattern checks: what it is, its unit, and the band or direction it must meet."""

    key: str
    label: str
    kind: str
    low: float = -INF
    high: float = INF
    #: how values are shown: ``%`` (a share, shown x100), ``pp`` (a difference of shares, x100), else as they are
    unit: str = ""
    #: decimals of a value that is not a share
    digits: int = 3

    def show(self, value: float | None) -> str:
        """A value of this criterion as the report prints it."""
        return show(value, self.unit, self.digits)

    def passes(self, value: float, low: float, high: float) -> bool:
        """The verdict on an estimate and its 95 % interval (an undefined number never passes)."""
        if not math.isfinite(value):
            return False
        if self.kind == ABOVE:
            return math.isfinite(low) and low > self.low
        if self.kind == BELOW:
            return math.isfinite(high) and high < self.high
        inside = self.low <= value <= self.high
        if math.isinf(self.high - self.low):
            return inside
        return inside and math.isfinite(high - low) and high - low <= self.high - self.low

    def why_not(self, value: float, low: float, high: float) -> str:
        """Why a failing criterion fails, in words (empty when it passes)."""
        if self.passes(value, low, high):
            return ""
        if not math.isfinite(value):
            return "not measurable in these runs"
        if self.kind == ABOVE:
            return "the 95 % interval does not lie above " + edge(self.low, self.unit)
        if self.kind == BELOW:
            return "the 95 % interval does not lie below " + edge(self.high, self.unit)
        if not self.low <= value <= self.high:
            return "the estimate lies outside the band"
        return "the 95 % interval is wider than the band (more replications needed)"

    def band_text(self) -> str:
        """The band as the report prints it."""
        if self.kind == ABOVE:
            return f"95 % CI above {edge(self.low, self.unit)}"
        if self.kind == BELOW:
            return f"95 % CI below {edge(self.high, self.unit)}"
        if math.isinf(self.high):
            return f"≥ {edge(self.low, self.unit)}"
        if math.isinf(self.low):
            return f"≤ {edge(self.high, self.unit)}"
        return f"[{edge(self.low, self.unit)}, {edge(self.high, self.unit)}]"


@dataclass(frozen=True)
class Pattern:
    """A published pattern: the claim, its source, how the model measures it, and its criteria."""

    number: int
    key: str
    title: str
    claim: str
    source: str
    #: how the model measures it; ``{...}`` fields are the plan's settings (:meth:`measure_text`)
    measure: str
    criteria: tuple[Criterion, ...]

    def measure_text(self, settings: dict[str, object]) -> str:
        """The measurement as it was run, with the plan's settings filled in."""
        return self.measure.format(**settings)


def show(value: float | None, unit: str, digits: int = 3) -> str:
    """A number in its unit: shares and percentage points x100 with one decimal, others with ``digits`` decimals."""
    if value is None or not math.isfinite(value):
        return "∞" if value == INF else "−∞" if value == -INF else "n/a"
    if unit in ("%", "pp"):
        return f"{100 * value:.1f} {unit}".replace("-", "−")
    return f"{value:.{digits}f}".replace("-", "−")


def edge(value: float, unit: str) -> str:
    """A band's edge as the published number: shares x100, no trailing zeros."""
    if unit in ("%", "pp"):
        return f"{100 * value:g} {unit}".replace("-", "−")
    return f"{value:g}".replace("-", "−")


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        1,
        "engagement_customers",
        "Engagement → customers",
        "Across business units, employee engagement correlates with customer satisfaction at about "
        ".20-.33, and top-quartile engagement units are rated about 10 % better by their customers "
        "than bottom-quartile units.",
        "Harter, Schmidt & Hayes 2002 (J. Appl. Psych. 87:268); Gallup Q12 meta-analyses",
        "The validated company scaled to at least {company_employees:,} employees (units, accounts, prospects and "
        "markets in proportion). Unit of analysis: the teams that serve customers under contract "
        "(delivery and support), over the measured window — per team the mean engagement of its "
        "people and its customers' survey score: the mean answer (0-10, / 10) of the survey answers of "
        "the accounts it is responsible for, with the survey's sampling and answer noise, as the field "
        "studies measure a unit's customer satisfaction from its customers' surveys (the team table's "
        "`survey_score`). Both "
        "are centred on their unit's mean, so that teams doing the same work are compared. Per "
        "replication: Pearson r across the teams; and, ranking teams by engagement within their "
        "unit, the mean score of the top quartile over the bottom quartile's, minus 1. "
        "Estimates: r averaged as Fisher's z, the gap as a mean, each with its 95 % t-interval "
        "over replications.",
        (
            Criterion("r", "r(team engagement, team's customer satisfaction)", BAND, 0.15, 0.40),
            Criterion("quartile_gap", "top- vs bottom-quartile teams' satisfaction gap", BAND, 0.05, 0.15, "%"),
        ),
    ),
    Pattern(
        2,
        "leadership_engagement",
        "Leadership → engagement",
        "Transformational leadership correlates with followers' outcomes at about .44, contingent "
        "reward (transactional) at .39 and laissez-faire at −.37: transformational > transactional "
        "> laissez-faire.",
        "Judge & Piccolo 2004 (J. Appl. Psych. 89:755); Decuypere & Schaufeli 2021",
        "The same {company_employees:,}-employee company with each unit's team leaders one third transformational, "
        "one third transactional and one third laissez-faire. Unit of analysis: the employees in "
        "post at the end of the run (a cross-sectional survey), each with the style of their team "
        "leader. Per replication: whether mean engagement falls in the order transformational > "
        "transactional > laissez-faire, and the point-biserial r between being led laissez-faire "
        "(against the other styles) and engagement, and between being led transformationally and "
        "engagement. Estimates: the share of replications with the ordering (Wilson 95 % interval); "
        "the r's averaged as Fisher's z with their t-intervals.",
        (
            Criterion("ordered_share", "share of replications with T > Tr > LF mean engagement", BAND, 0.95, 1.0, "%"),
            Criterion("r_laissez_faire", "r(laissez-faire vs others, engagement)", BAND, -0.55, -0.20),
            Criterion("r_transformational", "r(transformational vs others, engagement)", BAND, 0.25, 0.60),
        ),
    ),
    Pattern(
        3,
        "churn",
        "Churn and revenue retention",
        "B2B service and SaaS companies keep 90-93 % of their revenue a year (median gross revenue "
        "retention), reach net revenue retention of about 100-110 %, and lose a somewhat larger "
        "share of accounts than of revenue.",
        "SaaS Capital retention surveys (B2B SaaS benchmarks)",
        "The validated scenario at its own size. Cohort: the customers at the end of the warm-up, "
        "followed to the end of the run. Gross revenue retention: the cohort's contract value still "
        "under contract, each contract counted at most at its value at the start (churn and "
        "contraction count, expansion does not), over its value at the start; net revenue retention "
        "the same without the cap; both annualised (ratio^(1/years)). Account against revenue "
        "churn: annual account churn (accounts lost at renewal per year / mean customers) minus "
        "annual revenue churn (contract value lost at renewal per year / mean recurring revenue) "
        "over the measured window, per replication. Estimates: means with 95 % t-intervals.",
        (
            Criterion("gross_revenue_retention", "annual gross revenue retention", BAND, 0.89, 0.94, "%"),
            Criterion("net_revenue_retention", "annual net revenue retention", BAND, 1.00, 1.10, "%"),
            Criterion("account_minus_revenue_churn", "account churn − revenue churn", BAND, 0.0, INF, "pp"),
        ),
    ),
    Pattern(
        4,
        "nps",
        "Net Promoter Score",
        "B2B services score an NPS between 0 and 40 (B2B services about 18, SaaS about 40 in "
        "industry benchmark surveys).",
        "Reichheld 2003 (the NPS); B2B industry NPS benchmarks",
        "The validated scenario at its own size. Census NPS: every customer counted as promoter "
        "(satisfaction at or above `measurement.promoter_satisfaction`, LTR 9-10), detractor (below "
        "`measurement.detractor_satisfaction`, LTR 0-6) or passive each week, mean over the "
        "measured window; the estimate is its mean over replications with a 95 % t-interval.",
        (Criterion("nps", "census NPS (points)", BAND, 0.0, 40.0, digits=1),),
    ),
    Pattern(
        5,
        "satisfaction_retention",
        "Satisfaction → retention is nonlinear",
        "Completely satisfied customers are far more likely to stay than merely satisfied ones "
        "(about six times; increasing returns of satisfaction on repurchase).",
        "Jones & Sasser 1995 (HBR 73(6):88); Mittal & Kamakura 2001 (J. Mark. Res. 38:131)",
        "The validated scenario at its own size. Every renewal decision in the measured window, "
        "classified by the customer's satisfaction at the decision: top box (satisfaction at or "
        "above `measurement.promoter_satisfaction`, a promoter's LTR 9-10: 'completely satisfied') "
        "and satisfied but not top box (from `measurement.detractor_satisfaction` up to the top "
        "box, a passive's LTR 7-8). Per replication the churn rate at renewal of each band; the "
        "estimate is the ratio of the mean rates (satisfied ÷ top box), with a delta-method 95 % "
        "interval.",
        (
            Criterion(
                "churn_ratio", "churn of satisfied ÷ churn of top-box accounts at renewal", BAND, 4.0, 10.0, digits=2
            ),
        ),
    ),
    Pattern(
        6,
        "service_recovery",
        "Service recovery",
        "After a service failure, customers whose problem was resolved quickly are more satisfied "
        "than those whose problem was resolved slowly, who are more satisfied than those left "
        "unresolved; the recovery paradox (a recovered failure leaving the customer more satisfied "
        "than no failure) is small and holds only after a single failure.",
        "TARP 1986 (Consumer complaint handling in America); de Matos, Henrique & Rossi 2007 "
        "(J. Serv. Res. 10:60); Maxham & Netemeyer 2002 (J. Mark. 66(4):57)",
        "The validated scenario at its own size. Episodes (the recovery table): a customer served "
        "in delivery or maintenance in a measured week, with no failure in the "
        "`service.first_failure_window_weeks` before and no open complaint, followed for {followup_weeks} weeks — "
        "quick: a failure that week, recovered on the spot; slow: a complaint resolved within the "
        "{followup_weeks} weeks; unresolved: a complaint still open after them; no failure: none that week (the "
        "comparison). Episodes with a second failure, or whose account leaves, are dropped. Measure: "
        "the change in the customer's satisfaction from the week before to {followup_weeks} weeks after (each "
        "customer its own baseline). Per replication the mean change of each class; estimates: "
        "paired differences between classes with 95 % t-intervals, on the 0-1 scale.",
        (
            Criterion("quick_minus_slow", "quick − slow resolution (0-1 scale)", ABOVE, low=0.0, digits=4),
            Criterion("slow_minus_unresolved", "slow resolution − unresolved (0-1 scale)", ABOVE, low=0.0, digits=4),
            Criterion(
                "paradox", "recovery paradox: quick recovery − no failure (0-1 scale)", BAND, -0.01, 0.02, digits=4
            ),
        ),
    ),
    Pattern(
        7,
        "turnover_customers",
        "Employee turnover hurts customers weakly",
        "Employee turnover relates weakly and negatively to customer outcomes (ρ about −.10 to −.15).",
        "Hancock et al. 2013 (J. Manag. 39:573); Park & Shaw 2013 (J. Appl. Psych. 98:268)",
        "As pattern 1, with each team's turnover (quits per year over its mean headcount, in the "
        "measured window) in place of its engagement: Pearson r across the delivery and support "
        "teams of the {company_employees:,}-employee company, both centred on their unit's mean, averaged as "
        "Fisher's z over replications with its 95 % t-interval.",
        (Criterion("r", "r(team turnover, team's customer satisfaction)", BAND, -0.20, -0.05),),
    ),
    Pattern(
        8,
        "capacity_gap",
        "A capacity gap erodes quality for longer than it lasts",
        "Under a temporary capacity gap people cut corners; service standards erode fast and "
        "recover slowly, so quality stays low for longer than the gap lasts.",
        "Oliva & Sterman 2001 (Mgmt. Sci. 47:894)",
        "The validated scenario with a timed event cutting delivery capacity by {gap_cut_pct:g} % for {gap_weeks} "
        "weeks (from week {gap_start}), against the same scenario without it, in paired replications (common "
        "random numbers). Each week: the mean perceived quality of the touchpoints in the delivery "
        "stage; per week the paired difference (cut − control) with its 95 % t-interval. Estimate: "
        "the consecutive weeks from the week capacity returns in which that interval lies below 0.",
        (Criterion("weeks_below", "weeks after capacity returns with quality below control", BAND, 12, INF, digits=0),),
    ),
    Pattern(
        9,
        "information_spread",
        "Information spreads faster with cross-unit ties; diffusion docks with SI",
        "More ties across units carry information faster and keep it from staying local in silos; "
        "spreading on a collaboration network follows susceptible-infected (independent cascade) "
        "theory on small-world graphs.",
        "Wu, Huberman, Adamic & Tyler 2004 (Physica A 337:327); Hansen 1999; Kempe, Kleinberg & "
        "Tardos 2003; Watts & Strogatz 1998",
        "(a) The validated scenario at shares of cross-unit ties of {ties_levels}, paired replications: the "
        "mean information age at touchpoints over the measured window (the age of the oldest fact "
        "the server lacks), and per step up in ties its paired difference with a 95 % t-interval; "
        "the estimate is the weakest step (the one whose interval reaches highest), whose interval "
        "must lie below 0 for the age to fall at every step. "
        "(b) Docking: the validated company at the end of its warm-up ({spread_graphs} replications, each its own "
        "collaboration graph), and on each graph {spread_cascades} cascades: one new fact told to a random "
        "employee, spread for {spread_weeks} weeks by the model's own peer rule (each holder tells each "
        "collaborator with its per-contact probability, from its engagement and sharing culture; "
        "nothing else moves), beside a plain SI simulation on the same graph from the same employee "
        "with the same probabilities. Estimate: the largest absolute gap between the two mean "
        "adoption curves, as a share of the filled seats, with a percentile bootstrap 95 % interval "
        "over the graphs.",
        (
            Criterion(
                "info_age_step",
                "information age, weakest step up in cross-unit ties (weeks)",
                BELOW,
                high=0.0,
            ),
            Criterion("docking_gap", "largest gap, model vs SI adoption curve", BAND, 0.0, 0.02, "%"),
        ),
    ),
    Pattern(
        10,
        "bass",
        "Referral-driven acquisition docks with Bass diffusion",
        "With word of mouth on a complete graph the share of a market adopted follows Bass's F(t) "
        "= (1 − e^−(p+q)t) / (1 + (q/p) e^−(p+q)t), with p about .03 and q about .38 a year.",
        "Bass 1969 (Mgmt. Sci. 15:215); Sultan, Farley & Lehmann 1990 (J. Mark. Res. 27:70)",
        "A market of {bass_market:,} accounts in one segment, no customers at the start, the validated scenario's p "
        "(`market.innovation`) and q (`market.imitation`), and every effect but the Bass terms switched off (ODD "
        "7.8: every current customer's word of mouth reaches every account still in the market, a complete graph), "
        "over {bass_years:g} years, in {bass_runs} runs. Estimates: the largest absolute gap between the mean "
        "adoption share (customers / market potential) and F(t), with a percentile bootstrap 95 % interval over "
        "runs; and q/p of F fitted to each run's curve (allowing for the pipeline's two weeks from arrival to "
        "customer), over the input q/p, with its t-interval.",
        (
            Criterion("gap", "largest gap, mean adoption share vs F(t)", BAND, 0.0, 0.02, "%"),
            Criterion("q_over_p", "fitted q/p ÷ input q/p", BAND, 0.8, 1.2, digits=2),
        ),
    ),
)
