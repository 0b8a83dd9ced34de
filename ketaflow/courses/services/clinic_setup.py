"""The clinic calendar: chairs, opening days and hours, closed days, extra openings.

MANAGE_CHAIRS only.
"""

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
from ketaflow.courses.models import (
    HOLDING,
    Appointment,
    Chair,
    ClinicSchedule,
    ClosedDay,
    ExtraOpening,
)
from ketaflow.courses.opening_hours import (
    closure_on,
    extra_openings,
    fits,
    open_windows_on,
    regular_window,
    schedule_of,
)
from ketaflow.courses.services._common import locked, require, required_reason
from ketaflow.lib.clock import at_clinic, local

SCHEDULE_FIELDS = (
    "working_days",
    "opens_at",
    "closes_at",
    "prep_minutes",
    "dose_minutes",
    "turnover_minutes",
    "confirm_days_ahead",
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
    if extra_openings(clinic.pk, start, at_clinic(on + timedelta(days=1), time(0), clinic)):
        raise ValidationError(
            {"on": [f"An extra opening is set on {on:%a %d %b %Y}: withdraw it first."]}
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


# ---------------------------------------------------------------------------- extra openings

_HM = "%H:%M"


def _span(opening: ExtraOpening, actor: User) -> str:
    clinic = actor.clinic
    assert clinic is not None
    start, end = local(opening.starts_at, clinic), local(opening.ends_at, clinic)
    until = f"{end:{_HM}}" if end.date() == start.date() else f"{end:%a %d %b} {end:{_HM}}"
    return f"{start:%a %d %b %Y} {start:{_HM}}–{until}"


@transaction.atomic
def add_extra_opening(
    actor: User, *, on: date, opens_at: time, closes_at: time, reason: str
) -> ExtraOpening:
    """Open on a closed weekday or beyond the usual hours, once (clinic-local wall clock).

    A closing time at or before the opening time runs past midnight (an evening list into
    the night). Refused: an opening already over (no back-dating), one on a closed day
    (reopen the day first), one overlapping another extra opening, and one wholly inside
    the usual hours (it would change nothing).
    """
    require(actor, Capability.MANAGE_CHAIRS)
    why = required_reason(reason, what="Say why the clinic opens (e.g. Saturday clinic).")
    clinic = actor.clinic
    assert clinic is not None
    starts_at = at_clinic(on, opens_at, clinic)
    last_day = on + timedelta(days=1) if closes_at <= opens_at else on
    ends_at = at_clinic(last_day, closes_at, clinic)
    if ends_at <= timezone.now():
        raise ValidationError(
            {"on": ["This opening is already over: an extra opening is for now or later."]}
        )
    for day in sorted({on, last_day}):
        closure = closure_on(clinic.pk, day)
        if closure is not None:
            raise ValidationError(
                {"on": [f"{day:%a %d %b %Y} is marked closed ({closure.reason}): reopen it first."]}
            )
    clash = [
        e
        for e in extra_openings(clinic.pk, starts_at, ends_at)
        if e.starts_at < ends_at and starts_at < e.ends_at
    ]
    if clash:
        raise ValidationError(
            {"opens_at": [f"It overlaps the extra opening {_span(clash[0], actor)}."]}
        )
    usual = regular_window(clinic, on)
    if usual is not None and usual[0] <= starts_at and ends_at <= usual[1]:
        raise ValidationError(
            {
                "opens_at": [
                    f"The clinic is open then already ({local(usual[0], clinic):{_HM}}–"
                    f"{local(usual[1], clinic):{_HM}})."
                ]
            }
        )
    opening = ExtraOpening(
        clinic_id=clinic.pk,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=why[:200],
        created_by=actor,
    )
    opening.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=opening,
        detail={
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "reason": why,
        },
    )
    return opening


@transaction.atomic
def withdraw_extra_opening(actor: User, opening: ExtraOpening, reason: str) -> ExtraOpening:
    """Withdraw an extra opening (the row stays, with who, when and why).

    Refused while an appointment still needs it: one whose stay would fall outside the
    opening hours without it (move or cancel those first).
    """
    require(actor, Capability.MANAGE_CHAIRS)
    why = required_reason(reason, what="Say why the extra opening is withdrawn.")
    row = locked(ExtraOpening.objects.filter(clinic_id=actor.clinic_pk), opening.pk)
    if row.withdrawn_at is not None:
        raise ValidationError({"reason": ["This extra opening was already withdrawn."]})
    clinic = actor.clinic
    assert clinic is not None
    needing = [
        a
        for a in Appointment.objects.filter(
            chair__clinic_id=clinic.pk,
            status__in=HOLDING[:3],
            starts_at__lt=row.ends_at,
            ends_at__gt=row.starts_at,
        )
        if not fits(
            open_windows_on(clinic, local(a.starts_at, clinic).date(), exclude_extra=row.pk),
            a.starts_at,
            a.ends_at,
        )
    ]
    if needing:
        count = len(needing)
        raise ValidationError(
            {
                "reason": [
                    f"{count} appointment{'s need' if count > 1 else ' needs'} this opening: "
                    "move or cancel them first."
                ]
            }
        )
    row.withdrawn_at = timezone.now()
    row.withdrawn_by = actor
    row.withdrawn_reason = why[:200]
    row.save()
    record_event(
        actor=actor, action=Action.UPDATE, obj=row, detail={"withdrawn": True, "reason": why}
    )
    return row
