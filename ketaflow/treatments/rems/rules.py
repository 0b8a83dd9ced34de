"""How the record reads a session's values: the form's rules, as plain functions of times.

No Django here: the choice of the reading ~40 minutes after dosing, when a finding resolved,
how a dose is ticked on the form. `assembly` applies them to a session's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

MG_PER_DEVICE: Final = 28
LABEL_DOSES_MG: Final = (28, 56, 84)
#: Blood pressure ~40 min after dosing (S1): the reading nearest 40 min, within this window.
BP_40_TARGET_MIN: Final = 40
BP_40_WINDOW_MIN: Final = 20
#: The pre-session checklist's "taken today" codes, as the form's concomitant-medicine rows.
CONCOMITANT: Final = (
    ("benzodiazepine", "Benzodiazepines"),
    ("z_drug", "Non-benzodiazepine sedative hypnotics"),
    ("psychostimulant", "Psychostimulants"),
    ("maoi", "Monoamine oxidase inhibitors (MAOIs)"),
    ("opioid", "Opioids"),
)
RESPIRATORY_CODES: Final = ("spo2.", "rr.low")


def minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() / 60)  # towards zero: 10.5 min before = -10


def nearest(times: Sequence[datetime], target: datetime, window: timedelta) -> int | None:
    """Index of the time nearest `target` within +/- `window` (the earlier one on a tie)."""
    best: int | None = None
    for i, t in enumerate(times):
        gap = abs(t - target)
        if gap <= window and (best is None or gap < abs(times[best] - target)):
            best = i
    return best


def resolution(
    flags: Sequence[tuple[datetime, bool]],
) -> tuple[bool | None, datetime | None]:
    """From (time, abnormal?) in time order: was anything abnormal, and when did it resolve?

    Resolved = the first normal observation after the last abnormal one (None if the last
    observation is still abnormal). With nothing abnormal, "resolved" is the first observation.
    """
    if not flags:
        return None, None
    last_bad = max((i for i, (_, bad) in enumerate(flags) if bad), default=None)
    if last_bad is None:
        return False, flags[0][0]
    after = [t for t, bad in flags[last_bad + 1 :] if not bad]
    return True, after[0] if after else None


def dose_choice(dose_mg: float | None) -> str:
    if dose_mg is None:
        return "not recorded"
    if dose_mg in (56, 84):
        return f"{dose_mg:g} mg"
    return f"Other: {dose_mg:g} mg"
