"""Reading the clinic calendar (no permission checks: callers have done them).

The clinic is open in its regular hours on its working days that are not closed days, and
during any extra opening (a Saturday clinic, an evening list). `open_windows_on` merges the
two into the spans a session may be booked in: an evening list right after closing time
extends the day, so a session may run from the regular hours into it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ketaflow.accounts.models import Clinic
from ketaflow.clinical.protocols import ClinicCalendar
from ketaflow.courses.models import ClinicSchedule, ClosedDay, ExtraOpening
from ketaflow.lib.clock import at_clinic, local

Window = tuple[datetime, datetime]


def schedule_of(clinic_id: int) -> ClinicSchedule:
    """The clinic's opening hours (Monday-Friday 08:00-18:00 until someone sets them)."""
    schedule, _ = ClinicSchedule.objects.get_or_create(clinic_id=clinic_id)
    return schedule


def closed_dates(clinic_id: int, start: date | None = None) -> frozenset[date]:
    days = ClosedDay.objects.filter(clinic_id=clinic_id, reopened_at__isnull=True)
    if start is not None:
        days = days.filter(on__gte=start - timedelta(days=7))
    return frozenset(days.values_list("on", flat=True))


def closure_on(clinic_id: int, day: date) -> ClosedDay | None:
    return ClosedDay.objects.filter(clinic_id=clinic_id, on=day, reopened_at__isnull=True).first()


def clinic_calendar(clinic_id: int, start: date | None = None) -> ClinicCalendar:
    """The core's view of the calendar: working weekdays minus closed dates."""
    schedule = schedule_of(clinic_id)
    return ClinicCalendar(
        working_days=frozenset(schedule.working_days), closed=closed_dates(clinic_id, start)
    )


def extra_openings(
    clinic_id: int, start: datetime, end: datetime, *, exclude: int | None = None
) -> list[ExtraOpening]:
    """The live extra openings that overlap or touch [start, end]."""
    qs = ExtraOpening.objects.filter(
        clinic_id=clinic_id, withdrawn_at__isnull=True, starts_at__lte=end, ends_at__gte=start
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("starts_at", "pk"))


def regular_window(clinic: Clinic, day: date) -> Window | None:
    """The day's regular hours, or None on a day off or a closed day."""
    schedule = schedule_of(clinic.pk)
    if day.weekday() not in schedule.working_days or closure_on(clinic.pk, day) is not None:
        return None
    return at_clinic(day, schedule.opens_at, clinic), at_clinic(day, schedule.closes_at, clinic)


def _merged(spans: list[Window]) -> list[Window]:
    merged: list[Window] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def open_windows_on(clinic: Clinic, day: date, *, exclude_extra: int | None = None) -> list[Window]:
    """The merged opening spans that overlap the clinic-local `day` (whole, not clipped).

    `exclude_extra` leaves one extra opening out (to ask what withdrawing it would change).
    """
    day_start = at_clinic(day, time(0), clinic)
    day_end = at_clinic(day + timedelta(days=1), time(0), clinic)
    spans = [w for d in (-1, 0, 1) if (w := regular_window(clinic, day + timedelta(days=d)))]
    extras = extra_openings(
        clinic.pk, day_start - timedelta(days=1), day_end + timedelta(days=1), exclude=exclude_extra
    )
    spans += [(e.starts_at, e.ends_at) for e in extras]
    return [w for w in _merged(spans) if w[0] < day_end and w[1] > day_start]


def extras_on(clinic: Clinic, day: date) -> list[ExtraOpening]:
    """The live extra openings that overlap the clinic-local `day`."""
    day_start = at_clinic(day, time(0), clinic)
    day_end = at_clinic(day + timedelta(days=1), time(0), clinic)
    return [
        e
        for e in extra_openings(clinic.pk, day_start, day_end)
        if e.starts_at < day_end and e.ends_at > day_start
    ]


def fits(windows: list[Window], start: datetime, end: datetime) -> bool:
    """Whether the whole stay [start, end] lies within one opening span."""
    return any(w0 <= start and end <= w1 for w0, w1 in windows)


def clinic_days_end(clinic: Clinic, start: date, days: int) -> datetime:
    """The instant the `days`-th clinic day from `start` (itself included) ends.

    A clinic day is a working weekday that is not closed, or a day with a live extra opening
    (a Saturday clinic). Three queries, whatever `days`. Used for how far ahead the front desk
    confirms bookings (`ClinicSchedule.confirm_days_ahead`).
    """
    calendar = clinic_calendar(clinic.pk, start)
    limit = start + timedelta(days=max(days, 1) * 7 + 31)
    extra_days = {
        d
        for e in extra_openings(
            clinic.pk, at_clinic(start, time(0), clinic), at_clinic(limit, time(0), clinic)
        )
        for d in _local_dates(e.starts_at, e.ends_at, clinic)
    }
    day, counted = start, 0
    while day < limit:
        if calendar.is_open(day) or day in extra_days:
            counted += 1
            if counted >= days:
                break
        day += timedelta(days=1)
    return at_clinic(day + timedelta(days=1), time(0), clinic)


def _local_dates(start: datetime, end: datetime, clinic: Clinic) -> set[date]:
    """The clinic-local dates a span touches (an evening list past midnight: two)."""
    first, last = local(start, clinic).date(), local(end, clinic).date()
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}
