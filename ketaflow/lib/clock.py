"""The clinic's clock: store UTC, read and show the clinic's zone."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time
from typing import Protocol

from django.utils import timezone


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
