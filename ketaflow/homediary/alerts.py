"""Home alerts reach the clinicians at once: the row and its email in the caller's transaction.

The same path as the scales' risk alerts (`questionnaires/alerts.py`): the recipients are
those who answer alerts from patients' links (`alert_recipients`, nurses and prescribers with
an email), and the email is written to the outbox (`ketaflow.mail`) in the transaction that
stores the alert, so a rolled-back entry never emails and a committed alert's email is never
lost. The email carries the alert's link only (no name, no answers: email is not secure).

Called only by this app's services, which have checked the link; no permission check here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.urls import reverse

from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.homediary.models import DiaryEntry, HomeAlert, HomeAlertKind
from ketaflow.mail.models import OutboxMessage
from ketaflow.mail.services import queue_message
from ketaflow.patients.models import Patient
from ketaflow.questionnaires.alerts import alert_recipients
from ketaflow.questionnaires.models import AlertSource


class PatientLink(Protocol):
    """What an alert needs of the patient's link (`portal.PortalLink`)."""

    @property
    def pk(self) -> Any: ...

    @property
    def audit_label(self) -> str: ...


EMAIL_KIND = "home_alert"
EMAIL_SUBJECT = {
    HomeAlertKind.DIARY: "Ketaflow: a patient's home dose diary needs action today",
    HomeAlertKind.SOMETHING_WRONG: "Ketaflow: a patient pressed 'Something is wrong'",
}
_WHAT = {
    HomeAlertKind.DIARY: (
        "A patient's home dose diary entry has a worrying answer (breathing, fainting, a "
        "severe side effect, a high self-check, a high blood pressure or a dose above the one "
        "authorised)."
    ),
    HomeAlertKind.SOMETHING_WRONG: (
        "A patient pressed 'Something is wrong' on their portal link. They were shown the "
        "clinic's number and emergency advice."
    ),
}


def raise_home_alert(
    patient: Patient,
    *,
    kind: HomeAlertKind,
    message: str,
    codes: Sequence[str] = (),
    entry: DiaryEntry | None = None,
    link: PatientLink | None,
    now: datetime,
    base_url: str | None = None,
) -> HomeAlert:
    """Store the alert, audit it and queue its email (all in the caller's transaction)."""
    recipients = alert_recipients(patient.clinic, AlertSource.PATIENT_LINK)
    alert = HomeAlert.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        kind=kind,
        entry=entry,
        codes=list(codes),
        message=message,
        raised_at=now,
        link_id=link.pk if link is not None else None,
    )
    record_event(
        actor=None,
        actor_label=link.audit_label if link is not None else None,
        action=Action.CREATE,
        obj=alert,
        detail={
            "kind": str(kind),
            "codes": list(codes),
            "entry": entry.pk if entry else None,
            "emailing": len(recipients),
        },
    )
    if recipients:
        url = (base_url or settings.KETAFLOW_PUBLIC_URL).rstrip("/")
        queue_message(
            clinic_id=patient.clinic_id,
            key=f"{EMAIL_KIND}:{alert.pk}",
            kind=EMAIL_KIND,
            subject=EMAIL_SUBJECT[kind],
            body=(
                f"{_WHAT[kind]} Open the alert, contact the patient and record what you did:"
                f"\n\n{url}{reverse('homediary:alert', kwargs={'pk': alert.pk})}\n"
            ),
            recipients=recipients,
            refs=[alert.pk],
            now=now,
        )
    return alert


def note_emailed(message: OutboxMessage) -> None:
    """Once the outbox has sent an alert email: the alert shows whom it reached."""
    for alert in HomeAlert.objects.filter(pk__in=message.refs):
        alert.emailed_to = list(message.recipients)
        alert.save(update_fields=["emailed_to"])
