"""Every write of the home dose diary: the patient's entry and "Something is wrong" (through
their portal link), a nurse's acknowledgement of an entry or an alert.

The patient's writes take the link the portal resolved (`DiaryLink`: this app sits below the
portal and imports nothing of it); they are refused once the link is revoked or expired, write
only to the link's own patient and are audited under the link's label. A worrying answer raises
its `HomeAlert` (and queues its email) in the entry's own transaction: both commit or neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.home_diary import DiaryAnswers, assess_entry
from ketaflow.clinical.monitoring.thresholds import DEFAULT_THRESHOLDS
from ketaflow.dispensing.models import EntryStatus, Supply
from ketaflow.homediary import derive
from ketaflow.homediary.alerts import raise_home_alert
from ketaflow.homediary.models import DiaryEntry, HomeAlert, HomeAlertKind
from ketaflow.lib.clock import FUTURE_TOLERANCE
from ketaflow.lib.errors import as_validation_error
from ketaflow.patients.models import Patient
from ketaflow.treatments.models import SideEffectKind

#: How far back a patient may record a dose (a diary is kept on the day; a late entry within a
#: week is still worth having). A data-entry rule, not a clinical one.
BACKDATE_DAYS = 7


class DiaryLink(Protocol):
    """What the diary needs of the patient's link (`portal.PortalLink`)."""

    @property
    def pk(self) -> Any: ...

    @property
    def patient(self) -> Patient: ...

    @property
    def revoked_at(self) -> datetime | None: ...

    @property
    def expires_at(self) -> datetime: ...

    @property
    def audit_label(self) -> str: ...


@dataclass(frozen=True)
class DiaryInput:
    """What the patient typed (the form's cleaned data)."""

    taken_at: datetime
    dose_mg: float
    side_effects: Sequence[str] = ()
    other_effect: str = ""
    worst_severity: str = ""
    breathing_trouble: bool = False
    fainted: bool = False
    detached: int = 0
    drowsy: int = 0
    sbp: int | None = None
    dbp: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Recorded:
    entry: DiaryEntry
    alert: HomeAlert | None


def _check_link(link: DiaryLink, now: datetime) -> None:
    if link.revoked_at is not None or link.expires_at <= now:
        raise PermissionDenied("This link no longer works.")


def _answers(data: DiaryInput) -> DiaryAnswers:
    known = set(SideEffectKind.values)
    unknown = sorted(set(data.side_effects) - known)
    if unknown:
        raise ValidationError({"side_effects": [f"Not a side effect we list: {unknown[0]}."]})
    if data.side_effects and not data.worst_severity:
        raise ValidationError({"worst_severity": ["Say how bad the worst side effect was."]})
    try:
        return DiaryAnswers(
            dose_mg=float(data.dose_mg),
            side_effects=frozenset(data.side_effects),
            worst_severity=data.worst_severity,
            breathing_trouble=data.breathing_trouble,
            fainted=data.fainted,
            detached=data.detached,
            drowsy=data.drowsy,
            sbp=data.sbp,
            dbp=data.dbp,
        )
    except ClinicalInputError as exc:
        raise as_validation_error(exc) from exc


@transaction.atomic
def record_entry(
    link: DiaryLink,
    data: DiaryInput,
    *,
    now: datetime,
    supply: Supply | None = None,
    base_url: str | None = None,
) -> Recorded:
    """Store the patient's entry; a worrying answer raises an alert in this transaction."""
    _check_link(link, now)
    patient = link.patient
    if data.taken_at > now + FUTURE_TOLERANCE:
        raise ValidationError({"taken_at": ["That time is in the future."]})
    if data.taken_at < now - timedelta(days=BACKDATE_DAYS):
        raise ValidationError(
            {"taken_at": [f"Only doses of the last {BACKDATE_DAYS} days can be added here."]}
        )
    answers = _answers(data)
    if supply is not None and (
        supply.patient_id != patient.pk or supply.status != EntryStatus.ACTIVE
    ):
        raise ValidationError({"supply": ["Not a supply of yours."]})
    supply = supply or derive.current_supply(patient, data.taken_at)
    concerns = assess_entry(
        answers,
        authorised_mg=derive.authorised_mg(patient, data.taken_at, supply),
        thresholds=DEFAULT_THRESHOLDS,
    )
    entry = DiaryEntry.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        link_id=link.pk,
        supply=supply,
        recorded_by=None,
        taken_at=data.taken_at,
        dose_mg=answers.dose_mg,
        side_effects=sorted(answers.side_effects),
        other_effect=data.other_effect.strip()[:200],
        worst_severity=answers.worst_severity,
        breathing_trouble=answers.breathing_trouble,
        fainted=answers.fainted,
        detached=answers.detached,
        drowsy=answers.drowsy,
        sbp=answers.sbp,
        dbp=answers.dbp,
        note=data.note.strip()[:2000],
    )
    record_event(
        actor=None,
        actor_label=link.audit_label,
        action=Action.CREATE,
        obj=entry,
        detail={
            "dose_mg": entry.dose_mg,
            "supply": supply.pk if supply else None,
            "concerns": [c.code for c in concerns],
            "link": link.pk,
        },
    )
    alert = None
    if concerns:
        alert = raise_home_alert(
            patient,
            kind=HomeAlertKind.DIARY,
            message=" ".join(c.message for c in concerns),
            codes=[c.code for c in concerns],
            entry=entry,
            link=link,
            now=now,
            base_url=base_url,
        )
    return Recorded(entry, alert)


@transaction.atomic
def something_wrong(
    link: DiaryLink, *, now: datetime, note: str = "", base_url: str | None = None
) -> HomeAlert:
    """The patient's "Something is wrong": an alert to the clinicians at once."""
    _check_link(link, now)
    said = note.strip()[:1000]
    message = "The patient pressed 'Something is wrong' on their portal link." + (
        f" They wrote: {said}" if said else ""
    )
    return raise_home_alert(
        link.patient,
        kind=HomeAlertKind.SOMETHING_WRONG,
        message=message,
        codes=["something_wrong"],
        link=link,
        now=now,
        base_url=base_url,
    )


@transaction.atomic
def acknowledge_entry(actor: User, entry: DiaryEntry, note: str = "") -> DiaryEntry:
    """A nurse has read the entry (who, when, what was done). An entry with an open alert
    needs a note, and the note closes that alert too."""
    require(actor, Capability.SEND_QUESTIONNAIRES, entry)
    entry = DiaryEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.acknowledged_at is not None:
        raise ValidationError({"note": ["This entry was already acknowledged."]})
    text = note.strip()[:2000]
    open_alerts = list(
        HomeAlert.objects.select_for_update().filter(entry=entry, acknowledged_at__isnull=True)
    )
    if open_alerts and not text:
        raise ValidationError({"note": ["This entry raised an alert: say what was done."]})
    when = timezone.now()
    entry.acknowledged_at = when
    entry.acknowledged_by = actor
    entry.acknowledged_note = text
    entry._history_user = actor  # type: ignore[attr-defined]
    entry.save()
    record_event(actor=actor, action=Action.UPDATE, obj=entry, detail={"acknowledged": True})
    for alert in open_alerts:
        _close(actor, alert, text, when)
    return entry


def _close(actor: User, alert: HomeAlert, note: str, when: datetime) -> None:
    alert.acknowledged_at = when
    alert.acknowledged_by = actor
    alert.action_note = note
    alert._history_user = actor  # type: ignore[attr-defined]
    alert.save()
    record_event(actor=actor, action=Action.UPDATE, obj=alert, detail={"acknowledged": True})


@transaction.atomic
def acknowledge_alert(actor: User, alert: HomeAlert, action_note: str) -> HomeAlert:
    """Close a home alert with what was done (e.g. called the patient)."""
    require(actor, Capability.SEND_QUESTIONNAIRES, alert)
    note = action_note.strip()[:2000]
    if not note:
        raise ValidationError({"action_note": ["Say what was done about this alert."]})
    alert = HomeAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        raise ValidationError({"action_note": ["This alert was already acknowledged."]})
    _close(actor, alert, note, timezone.now())
    return alert
