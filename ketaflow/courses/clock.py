"""The clinic's clock: store UTC, read and show the clinic's zone."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time

from django.utils import timezone

from ketaflow.accounts.models import Clinic


def clinic_zone(clinic: Clinic) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(clinic.timezone)


def clinic_today(clinic: Clinic) -> date:
    return timezone.now().astimezone(clinic_zone(clinic)).date()


def local(when: datetime, clinic: Clinic) -> datetime:
    return when.astimezone(clinic_zone(clinic))


def at_clinic(day: date, at: time, clinic: Clinic) -> datetime:
    """The instant of a local wall-clock time in the clinic's zone."""
    return datetime.combine(day, at, tzinfo=clinic_zone(clinic))
