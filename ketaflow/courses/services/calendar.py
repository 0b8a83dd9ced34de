"""The clinic calendar: chairs, opening days and hours, closed days. MANAGE_CHAIRS only."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.courses.calendar import schedule_of
from ketaflow.courses.clock import at_clinic
from ketaflow.courses.models import HOLDING, Appointment, Chair, ClinicSchedule, ClosedDay
from ketaflow.courses.services._common import locked, require, required_reason

SCHEDULE_FIELDS = (
    "working_days",
    "opens_at",
    "closes_at",
    "prep_minutes",
    "dose_minutes",
    "turnover_minutes",
)


# ---------------------------------------------------------------------------- chairs


def _check_chair_name(clinic_id: int, name: str, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the chair a name, e.g. 'Chair 1' or 'Room B'."]})
    clash = Chair.objects.filter(clinic_id=clinic_id, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": ["Another chair in your clinic has this name."]})
    return name


@transaction.atomic
def add_chair(actor: User, *, name: str, notes: str = "", active: bool = True) -> Chair:
    require(actor, Capability.MANAGE_CHAIRS)
    chair = Chair(
        clinic_id=actor.clinic_pk,
        name=_check_chair_name(actor.clinic_pk, name),
        notes=notes.strip(),
        active=active,
    )
    chair.full_clean(exclude=["clinic"])
    chair._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            chair.save()
    except IntegrityError as exc:
        raise ValidationError({"name": ["Another chair in your clinic has this name."]}) from exc
    record_event(actor=actor, action=Action.CREATE, obj=chair, detail={"name": chair.name})
    return chair


@transaction.atomic
def update_chair(actor: User, chair: Chair, **changes: Any) -> Chair:
    """Rename, deactivate/reactivate or annotate a chair (chairs are never deleted)."""
    require(actor, Capability.MANAGE_CHAIRS)
    unknown = set(changes) - {"name", "notes", "active"}
    if unknown:
        raise ValidationError({f: ["Not a chair field."] for f in sorted(unknown)})
    chair = locked(Chair.objects.filter(clinic_id=actor.clinic_pk), chair.pk)
    before = {f: getattr(chair, f) for f in changes}
    if "name" in changes:
        changes["name"] = _check_chair_name(chair.clinic_id, changes["name"], exclude=chair.pk)
    for field, value in changes.items():
        setattr(chair, field, value)
    chair.full_clean(exclude=["clinic"])
    changed = {f: [before[f], getattr(chair, f)] for f in changes if before[f] != changes[f]}
    if not changed:
        return chair
    if changed.get("active") == [True, False]:
        ahead = Appointment.objects.filter(
            chair=chair, status__in=HOLDING[:3], starts_at__gte=timezone.now()
        ).count()
        if ahead:
            raise ValidationError(
                {
                    "active": [
                        f"{ahead} appointment{'s are' if ahead > 1 else ' is'} booked on this "
                        "chair: move or cancel them before taking the chair out of use."
                    ]
                }
            )
    chair._history_user = actor  # type: ignore[attr-defined]
    chair.save()
    record_event(actor=actor, action=Action.UPDATE, obj=chair, detail={"changes": changed})
    return chair


# ---------------------------------------------------------------------------- hours


@transaction.atomic
def set_opening_hours(actor: User, **values: Any) -> ClinicSchedule:
    """Opening weekdays, hours and the chair-time minutes (prep, non-infusion dose, turnover)."""
    require(actor, Capability.MANAGE_CHAIRS)
    unknown = set(values) - set(SCHEDULE_FIELDS)
    if unknown:
        raise ValidationError({f: ["Not an opening-hours field."] for f in sorted(unknown)})
    schedule = schedule_of(actor.clinic_pk)
    schedule = ClinicSchedule.objects.select_for_update().get(pk=schedule.pk)
    before = {f: str(getattr(schedule, f)) for f in values}
    for field, value in values.items():
        setattr(schedule, field, value)
    errors: dict[str, list[str]] = {}
    days = schedule.working_days
    if (
        not isinstance(days, list)
        or not days
        or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days)
    ):
        errors["working_days"] = ["Choose at least one weekday (0 Monday … 6 Sunday)."]
    else:
        schedule.working_days = sorted(set(days))
    opens, closes = schedule.opens_at, schedule.closes_at
    if isinstance(opens, time) and isinstance(closes, time) and closes <= opens:
        errors["closes_at"] = ["Closing time must be after opening time."]
    if errors:
        raise ValidationError(errors)
    schedule.full_clean(exclude=["clinic"])
    changed = {f: [before[f], str(getattr(schedule, f))] for f in values}
    schedule._history_user = actor  # type: ignore[attr-defined]
    schedule.save()
    record_event(actor=actor, action=Action.UPDATE, obj=schedule, detail={"changes": changed})
    return schedule


# ---------------------------------------------------------------------------- closed days


@transaction.atomic
def close_day(actor: User, *, on: date, reason: str) -> ClosedDay:
    """Mark a date closed. Refused while appointments are booked on it (move them first)."""
    require(actor, Capability.MANAGE_CHAIRS)
    why = required_reason(reason, what="Say why the clinic is closed (e.g. bank holiday).")
    clinic = actor.clinic
    assert clinic is not None
    if ClosedDay.objects.filter(clinic_id=clinic.pk, on=on, reopened_at__isnull=True).exists():
        raise ValidationError({"on": ["This day is already marked closed."]})
    start = at_clinic(on, time(0), clinic)
    booked = Appointment.objects.filter(
        chair__clinic_id=clinic.pk,
        status__in=HOLDING[:3],
        starts_at__gte=start,
        starts_at__lt=at_clinic(on + timedelta(days=1), time(0), clinic),
    ).count()
    if booked:
        raise ValidationError(
            {
                "on": [
                    f"{booked} appointment{'s are' if booked > 1 else ' is'} booked on "
                    f"{on:%a %d %b %Y}: reschedule or cancel them first."
                ]
            }
        )
    day = ClosedDay(clinic_id=clinic.pk, on=on, reason=why[:200], created_by=actor)
    try:
        with transaction.atomic():
            day.save()
    except IntegrityError as exc:
        raise ValidationError({"on": ["This day is already marked closed."]}) from exc
    record_event(actor=actor, action=Action.CREATE, obj=day, detail={"on": str(on), "reason": why})
    return day


@transaction.atomic
def reopen_day(actor: User, day: ClosedDay, reason: str) -> ClosedDay:
    require(actor, Capability.MANAGE_CHAIRS)
    why = required_reason(reason, what="Say why the day is open after all.")
    day = locked(ClosedDay.objects.filter(clinic_id=actor.clinic_pk), day.pk)
    if day.reopened_at is not None:
        raise ValidationError({"on": ["This day was already reopened."]})
    day.reopened_at = timezone.now()
    day.reopened_by = actor
    day.reopened_reason = why[:200]
    day.save()
    record_event(
        actor=actor, action=Action.UPDATE, obj=day, detail={"reopened": str(day.on), "reason": why}
    )
    return day
