"""Who recommends: the census classification of accounts into promoters and detractors.

Shared by the phases that act on it (word of mouth, measurement) and the stores that count it
(KPIs, tallies), so none of them reaches into another's module for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.scenario.parameters import MeasurementParameters


def promoter_detractor(satisfaction: np.ndarray, mp: MeasurementParameters) -> tuple[np.ndarray, np.ndarray]:
    """Census classification by expected likelihood to recommend, LTR = 10 x satisfaction.

    Promoters answer 9-10 (satisfaction >= ``promoter_satisfaction``, 0.85 by default),
    detractors 0-6 (satisfaction < ``detractor_satisfaction``, 0.65) (Reichheld 2003).
    """
    return satisfaction >= mp.promoter_satisfaction, satisfaction < mp.detractor_satisfaction
