"""Reading the clinic calendar (no permission checks: callers have done them)."""

from __future__ import annotations

from datetime import date, timedelta

from ketaflow.clinical.protocols import ClinicCalendar
from ketaflow.courses.models import ClinicSchedule, ClosedDay


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
