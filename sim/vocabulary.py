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
    """A way a customer meets the company at one stage.

    richness: media richness, face-to-face highest (Daft & Lengel 1986).
    load: capacity units one touchpoint takes from the serving employee (its cost).
    response_days: typical delay before the customer gets an answer.
    share: the channel's share of the stage's touchpoints (seed 003's account of the case).
    """

    stage: int
    name: str
    share: float
    richness: float
    load: float
    response_days: float

    @property
    def key(self) -> str:
        return f"{STAGES[self.stage]}.{self.name}"


CHANNELS: tuple[Channel, ...] = (
    # pre-purchase (seed 003: principal's salespeople, LinkedIn/Twitter, events and fairs,
    # seminars and webinars, website and blog, face-to-face and online meetings)
    Channel(PRE_PURCHASE, "partner_salespeople", 0.25, 0.60, 0.30, 3.0),
    Channel(PRE_PURCHASE, "social", 0.15, 0.25, 0.05, 1.0),
    Channel(PRE_PURCHASE, "events", 0.10, 0.80, 0.50, 0.0),
    Channel(PRE_PURCHASE, "webinars", 0.10, 0.50, 0.20, 0.0),
    Channel(PRE_PURCHASE, "website", 0.20, 0.20, 0.02, 1.0),
    Channel(PRE_PURCHASE, "meetings", 0.20, 0.85, 1.00, 2.0),
    # purchase (seed 003: face-to-face meetings, email)
    Channel(PURCHASE, "face_to_face", 0.60, 1.00, 1.00, 2.0),
    Channel(PURCHASE, "email", 0.40, 0.35, 0.40, 1.0),
    # delivery (seed 003: face-to-face meetings, chat such as Teams or Slack)
    Channel(DELIVERY_STAGE, "face_to_face", 0.50, 1.00, 1.00, 2.0),
    Channel(DELIVERY_STAGE, "chat", 0.50, 0.55, 0.50, 0.2),
    # maintenance (seed 003: email is the only channel, for tickets)
    Channel(MAINTENANCE, "email_tickets", 1.00, 0.30, 1.00, 1.0),
)
CHANNEL_KEYS = tuple(c.key for c in CHANNELS)
CHANNEL_STAGE = np.array([c.stage for c in CHANNELS])
CHANNEL_UNIT = STAGE_UNIT[CHANNEL_STAGE]
for _s, _name in enumerate(STAGES):
    _shares = sum(c.share for c in CHANNELS if c.stage == _s)
    if abs(_shares - 1.0) > 1e-9:
        raise ValueError(f"channel shares of {_name} must add up to 1")

#: why a touchpoint fell short (seed 002: "connect NPS with a question to customers WHY")
CAUSES = (
    "high_expectations",
    "stale_information",
    "low_engagement",
    "overload",
    "unrecovered_failure",
    "low_skill",
    "slow_channel",
)

# ---------------------------------------------------------------- leadership (seed 000 5.4.1-5.4.2, seed 004)
TRAITS = ("support", "recognition", "feedback_processing", "information_sharing", "cx_commitment")

STYLE_PRESETS: dict[str, dict[str, float]] = {
    # Bass & Riggio 2006: individualised consideration, inspiration, open communication.
    "transformational": {
        "support": 0.85,
        "recognition": 0.70,
        "feedback_processing": 0.80,
        "information_sharing": 0.85,
        "cx_commitment": 0.80,
    },
    # Judge & Piccolo 2004: contingent reward is the active ingredient; management by exception.
    "transactional": {
        "support": 0.50,
        "recognition": 0.75,
        "feedback_processing": 0.50,
        "information_sharing": 0.50,
        "cx_commitment": 0.50,
    },
    # Skogstad et al. 2007: absent leadership, no feedback, no information.
    "laissez_faire": {
        "support": 0.10,
        "recognition": 0.10,
        "feedback_processing": 0.15,
        "information_sharing": 0.15,
        "cx_commitment": 0.20,
    },
    # van Dierendonck 2011; Liden et al. 2008: follower growth and listening first.
    "servant": {
        "support": 0.90,
        "recognition": 0.60,
        "feedback_processing": 0.85,
        "information_sharing": 0.80,
        "cx_commitment": 0.75,
    },
}
STYLES = tuple(STYLE_PRESETS)


def resolve_traits(style: str, overrides: dict[str, float | None]) -> dict[str, float]:
    """The style's preset with every trait the scenario sets replacing the preset value."""
    traits = dict(STYLE_PRESETS[style])
    traits.update({k: v for k, v in overrides.items() if v is not None})
    return traits
