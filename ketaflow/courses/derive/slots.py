"""Free start times on one chair on one day: plain values in, a list of starts out.

No database, no clock: the caller passes the day's opening spans (`opening_hours.open_windows_on`),
the chair's held appointments, the session's length and turnover, and "now". Generic
scheduling, not a clinical rule, so it lives with the courses that book, not in the core.

A start is free when the whole stay [start, start + held] lies within one opening span and no
held appointment comes within the turnover of it on either side: the same test the booking
service makes (`services.booking._check`), so every start offered here books.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

#: Starts are offered on this grid (from the start of each opening span), plus the first
#: moment the chair is free again after each booking.
SLOT_STEP = timedelta(minutes=15)

Span = tuple[datetime, datetime]


def utc(when: datetime) -> datetime:
    """The same instant in UTC, where adding minutes adds real minutes (in a zone with a
    clock change, Python adds a timedelta by the wall clock). Do booking arithmetic on these."""
    return when.astimezone(UTC)


def free_starts(
    windows: Sequence[Span],
    taken: Iterable[Span],
    *,
    held: timedelta,
    turnover: timedelta,
    day: Span,
    not_before: datetime,
    step: timedelta = SLOT_STEP,
) -> list[datetime]:
    """The free start times (in UTC) within `day` ([midnight, next midnight) in the clinic's
    zone).

    `windows`: the merged opening spans overlapping the day; `taken`: (start, end) of the
    chair's held appointments; `held`: arrival to end of observation; `turnover`: the gap the
    chair needs after (and so before) any other stay; `not_before`: nothing in the past.
    """
    if held <= timedelta(0) or step <= timedelta(0):
        raise ValueError("held and step must be positive")
    # In UTC: Python adds and compares datetimes of one zone by their wall clock, so on a
    # clock-change day 00:45 + 15 min would land on 01:00, an hour that does not exist.
    windows = [(utc(w0), utc(w1)) for w0, w1 in windows]
    busy = sorted((utc(b0), utc(b1)) for b0, b1 in taken)
    not_before = utc(not_before)
    candidates: set[datetime] = set()
    for w0, w1 in windows:
        start = w0
        while start + held <= w1:
            candidates.add(start)
            start += step
    candidates.update(end + turnover for _start, end in busy)
    day_start, day_end = utc(day[0]), utc(day[1])
    free = []
    for start in sorted(candidates):
        end = start + held
        if not (day_start <= start < day_end) or start < not_before:
            continue
        if not any(w0 <= start and end <= w1 for w0, w1 in windows):
            continue
        if any(b0 < end + turnover and start < b1 + turnover for b0, b1 in busy):
            continue
        free.append(start)
    return free
