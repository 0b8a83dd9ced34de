"""Shared by the session services: the version lock, audit, permission and time checks.

Every write takes the `version` of the session the user saw; `_lock` refuses a stale one
(`VersionConflict`) or a signed session (`SessionLocked`). `UNCHANGED` is the sentinel for
"not sent: keep what was saved".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.lib.clock import FUTURE_TOLERANCE, local
from ketaflow.lib.derived import course_changed
from ketaflow.lib.errors import as_validation_error as _invalid  # noqa: F401
from ketaflow.treatments.models import (
    TreatmentSession,
)


class SessionConflict(Exception):
    """The write cannot apply to the session as it is now (HTTP 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VersionConflict(SessionConflict):
    pass


class SessionLocked(SessionConflict):
    pass


def _require(actor: User, capability: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied(f"Your role cannot do this ({capability}).")


def _lock(
    actor: User, session: TreatmentSession, version: int, *, allow_signed: bool = False
) -> TreatmentSession:
    """The session row locked for this transaction, at the version the user saw."""
    try:
        row = (
            TreatmentSession.objects.select_for_update()
            .select_related("patient__clinic", "protocol_version", "appointment", "course")
            .get(pk=session.pk, clinic_id=actor.clinic_pk)
        )
    except TreatmentSession.DoesNotExist:
        from django.http import Http404

        raise Http404("No such session in your clinic.") from None
    if row.version != version:
        when = local(row.updated_at, row.patient.clinic)
        who = f" ({row.updated_by})" if row.updated_by_id else ""
        raise VersionConflict(
            f"Someone else{who} changed this session at {when:%H:%M} — reload to see their "
            f"change, then try again (you saw version {version}, it is now {row.version})."
        )
    if row.is_signed and not allow_signed:
        raise SessionLocked(
            "This session is signed and locked: record a change as an amendment with a reason."
        )
    return row


def _touch(session: TreatmentSession, actor: User, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(session, name, value)
    session.version += 1
    session.updated_by = actor
    session._history_user = actor  # type: ignore[attr-defined]
    session.save()
    course_changed(session.course_id)


def _audit(
    actor: User, session: TreatmentSession, what: str, obj: Any = None, **detail: Any
) -> None:
    record_event(
        actor=actor,
        action=Action.UPDATE if obj is None else Action.CREATE,
        obj=obj or session,
        patient_id=session.patient_id,
        clinic_id=session.clinic_id,
        detail={"session": session.pk, "what": what, **detail},
    )


def _when(session: TreatmentSession, at: datetime | None, field: str = "at") -> datetime:
    when = at or timezone.now()
    if timezone.is_naive(when):
        raise ValidationError({field: ["Give a time with its time zone."]})
    if when > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({field: ["This is in the future."]})
    if when < session.checked_in_at - timedelta(hours=12):
        raise ValidationError({field: ["This is long before the patient checked in."]})
    return when


def core_message(exc: ClinicalInputError, clinic: Clinic) -> str:
    """The core's message with its clock times in the clinic's zone (the core keeps UTC)."""

    def show(at: datetime) -> str:
        here = local(at, clinic)
        return f"{here:%H:%M:%S}" if here.second else f"{here:%H:%M}"

    return exc.with_times(show)


class _Unchanged:
    """Sentinel: the caller did not send this answer, so the previously saved one stands."""

    _instance: _Unchanged | None = None

    def __new__(cls) -> _Unchanged:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNCHANGED"

    def __bool__(self) -> bool:
        return False


#: "Not sent: keep what was saved" (see `save_checklist` and `record_discharge`).
UNCHANGED: Any = _Unchanged()
