"""Complaints: a failure not recovered on the spot escalates into an open complaint.

An open complaint belongs to an account and to the person who answers for it; it weighs on
that person's engagement (a hindrance demand, :mod:`sim.model.phases.engagement`) until it is
resolved (:mod:`sim.model.phases.satisfaction`) or the account leaves the journey. TARP's
complaint studies (seed 004) give the sequence: recovery on the spot, else a slower resolution.
"""

from __future__ import annotations

import numpy as np

from sim.model.accounts import Accounts
from sim.model.grouping import run_starts
from sim.model.workforce import Workforce


def open_complaints(acc: Accounts, workforce: Workforce, account: np.ndarray, seat: np.ndarray) -> int:
    """Open a complaint for each account (sorted) that has none open; the first server owns it.

    Returns the number of complaints opened.
    """
    if not account.size:
        return 0
    first = run_starts(account)  # touchpoints are sorted by account
    new = first & ~acc.open_complaint[account]
    account, seat = account[new], seat[new]
    acc.open_complaint[account] = True
    acc.complaint_seat[account] = seat
    workforce.open_complaints += np.bincount(seat, minlength=workforce.size)
    return int(account.size)


def release_complaints(acc: Accounts, workforce: Workforce, rows: np.ndarray) -> None:
    """Close the open complaints of ``rows`` and take them off their owners' desks."""
    acc.open_complaint[rows] = False
    owned = rows[acc.complaint_seat[rows] >= 0]
    np.subtract.at(workforce.open_complaints, acc.complaint_seat[owned], 1.0)
    np.maximum(workforce.open_complaints, 0.0, out=workforce.open_complaints)


def close_complaints(acc: Accounts, workforce: Workforce, rows: np.ndarray) -> None:
    """Complaints of accounts that leave the journey are closed unresolved."""
    rows = rows[acc.open_complaint[rows]]
    if rows.size:
        release_complaints(acc, workforce, rows)


def orphan_complaints(acc: Accounts, seats: np.ndarray) -> None:
    """Open complaints of people who quit stay open but no longer weigh on anybody."""
    acc.complaint_seat[acc.open_complaint & np.isin(acc.complaint_seat, seats)] = -1
