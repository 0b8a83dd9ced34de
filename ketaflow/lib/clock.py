"""The clinic's clock: store UTC, read and show the clinic's zone."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Final, Protocol

from django.utils import timezone

#: How far ahead of the server's clock a recorded time may be and still count as "now", not
#: "in the future": a tablet's, a monitor's or another system's clock drifts a little from
#: the server's, and a nurse types a wall-clock minute that may not have ticked over yet.
#: One value for every path (chair-side charting, questionnaires, screening, FHIR import),
#: so a time one path accepts another does not refuse; longer would let a wrong date through.
FUTURE_TOLERANCE: Final = timedelta(minutes=5)


class Clinic(Protocol):
    """Anything with the clinic's IANA zone name (an `accounts.Clinic`)."""

    @property
    def timezone(self) -> str: ...


def clinic_zone(clinic: Clinic) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(clinic.timezone)


def clinic_today(clinic: Clinic) -> date:
    return timezone.now().astimezone(clinic_zone(clinic)).date()


def local(when: datetime, clinic: Clinic) -> datetime:
    return when.astimezone(clinic_zone(clinic))


def at_clinic(day: date, at: time, clinic: Clinic) -> datetime:
    """The instant of a local wall-clock time in the clinic's zone."""
    return datetime.combine(day, at, tzinfo=clinic_zone(clinic))
