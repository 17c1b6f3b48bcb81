"""The shared vocabulary of the model: units, journey stages, segments, channels, causes, styles.

Every layer speaks these names — the scenario schema, the phases, the outputs and the
experiments — so they live here, above all of them, and import nothing from the package.
Indices are positions in these tuples; the state stores keep them in small integer arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WEEKS_PER_YEAR = 52.0

# ---------------------------------------------------------------- organisation (seed 003)
#: the three units of the case company: sales, delivery and application maintenance (support)
UNITS = ("sales", "delivery", "support")
SALES, DELIVERY, SUPPORT = 0, 1, 2
N_UNITS = len(UNITS)
#: unit pairs whose members may be collaborators: (sales, delivery), (sales, support), (delivery, support)
UNIT_PAIRS = ((SALES, DELIVERY), (SALES, SUPPORT), (DELIVERY, SUPPORT))

# ---------------------------------------------------------------- the customer journey (seed 003)
STAGES = ("pre_purchase", "purchase", "delivery", "maintenance")
PRE_PURCHASE, PURCHASE, DELIVERY_STAGE, MAINTENANCE, CHURNED, LOST = 0, 1, 2, 3, 4, 5
#: the stage code of an unused row of the account store
VOID = -1
END_STATES = ("churned", "lost")
#: the unit responsible for each stage (seed 003: sales, delivery and maintenance organisations)
STAGE_UNIT = np.array([SALES, SALES, DELIVERY, SUPPORT])
SEGMENTS = ("small", "mid_market", "enterprise")
#: the week stamp of knowledge nobody has
NEVER = -100_000


@dataclass(frozen=True)
class Channel:
    """A way a customer meets the company at one stage (its name; its numbers are scenario input).

    The channel's share of the stage's touchpoints, its richness, load and response time are
    set per scenario under ``channels:`` (:class:`sim.scenario.schema.Channels`, whose defaults
    are seed 003's account of the case company).
    """

    stage: int
    name: str

    @property
    def key(self) -> str:
        return f"{STAGES[self.stage]}.{self.name}"


CHANNELS: tuple[Channel, ...] = (
    # pre-purchase (seed 003: principal's salespeople, LinkedIn/Twitter, events and fairs,
    # seminars and webinars, website and blog, face-to-face and online meetings)
    Channel(PRE_PURCHASE, "partner_salespeople"),
    Channel(PRE_PURCHASE, "social"),
    Channel(PRE_PURCHASE, "events"),
    Channel(PRE_PURCHASE, "webinars"),
    Channel(PRE_PURCHASE, "website"),
    Channel(PRE_PURCHASE, "meetings"),
    # purchase (seed 003: face-to-face meetings, email)
    Channel(PURCHASE, "face_to_face"),
    Channel(PURCHASE, "email"),
    # delivery (seed 003: face-to-face meetings, chat such as Teams or Slack)
    Channel(DELIVERY_STAGE, "face_to_face"),
    Channel(DELIVERY_STAGE, "chat"),
    # maintenance (seed 003: email is the only channel, for tickets); the phone takes the
    # tickets that escalate (seed 004: an effortless transition to personal service), share 0
    Channel(MAINTENANCE, "email_tickets"),
    Channel(MAINTENANCE, "phone"),
)
CHANNEL_KEYS = tuple(c.key for c in CHANNELS)
CHANNEL_STAGE = np.array([c.stage for c in CHANNELS])
CHANNEL_UNIT = STAGE_UNIT[CHANNEL_STAGE]
#: per stage, the names of its channels in index order
STAGE_CHANNELS: tuple[tuple[str, ...], ...] = tuple(
    tuple(c.name for c in CHANNELS if c.stage == s) for s in range(len(STAGES))
)

#: why a touchpoint fell short (seed 002: "connect NPS with a question to customers WHY")
CAUSES = (
    "high_expectations",
    "stale_information",
    "low_engagement",
    "overload",
    "unrecovered_failure",
    "low_skill",
    "slow_channel",
    "missing_requirement",
)
(
    HIGH_EXPECTATIONS,
    STALE_INFORMATION,
    LOW_ENGAGEMENT,
    OVERLOAD,
    UNRECOVERED_FAILURE,
    LOW_SKILL,
    SLOW_CHANNEL,
    MISSING_REQUIREMENT,
) = range(len(CAUSES))
#: causes a team can work on with a process fix (high expectations are the customer's, not a process's)
FIXABLE = np.array([c for c in range(len(CAUSES)) if c != HIGH_EXPECTATIONS])

# ---------------------------------------------------------------- leadership (seed 000 5.4.1-5.4.2, seed 004)
TRAITS = ("support", "recognition", "feedback_processing", "information_sharing")

STYLE_PRESETS: dict[str, dict[str, float]] = {
    # Bass & Riggio 2006: individualised consideration, inspiration, open communication.
    "transformational": {
        "support": 0.85,
        "recognition": 0.70,
        "feedback_processing": 0.80,
        "information_sharing": 0.85,
    },
    # Judge & Piccolo 2004: contingent reward is the active ingredient; management by exception.
    "transactional": {
        "support": 0.50,
        "recognition": 0.75,
        "feedback_processing": 0.50,
        "information_sharing": 0.50,
    },
    # Skogstad et al. 2007: absent leadership, no feedback, no information.
    "laissez_faire": {
        "support": 0.10,
        "recognition": 0.10,
        "feedback_processing": 0.15,
        "information_sharing": 0.15,
    },
    # van Dierendonck 2011; Liden et al. 2008: follower growth and listening first.
    "servant": {
        "support": 0.90,
        "recognition": 0.60,
        "feedback_processing": 0.85,
        "information_sharing": 0.80,
    },
}
STYLES = tuple(STYLE_PRESETS)


def resolve_traits(style: str, overrides: dict[str, float | None]) -> dict[str, float]:
    """The style's preset with every trait the scenario sets replacing the preset value."""
    traits = dict(STYLE_PRESETS[style])
    traits.update({k: v for k, v in overrides.items() if v is not None})
    return traits
