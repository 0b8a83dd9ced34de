"""Risk alerts: a safety answer on any stored scale reaches the clinicians at once (issue #6).

One path for both ways a scale arrives: the patient's own questionnaire link
(`services.submit_form`) and staff entering a scale (`questionnaires.services.record_response`,
e.g. a PHQ-9 taken on paper, or the C-SSRS screener's risk level). Which answers need action
is the core's decision, not this module's: every flag of kind SAFETY that the core put on the
response (PHQ-9 item 9 above 0, C-SSRS moderate or high). C-SSRS "low" is a CLINICAL flag in
the core, so it raises no alert here; if the core ever marks it SAFETY, it will.

`raise_risk_alert_if_needed` runs inside the caller's transaction, so the response and its
alert commit together or not at all, and so does the alert's email, written to the outbox
(`ketaflow.mail`) in that same transaction: a rolled-back response never emails about an
alert that does not exist, a committed alert's email is never lost (the outbox retries it
with back-off, and shows the clinic's admins an email it gave up on), and `emailed_to` is
filled once the email has actually gone.

It takes no acting user and checks no permission: it is only called by services that have
already checked theirs, for the response they have just stored.

Here, in the app that stores the answers, because both paths store a response and then raise:
the portal (above) calls down into it. The patient's link is taken as a `PatientLink` (what
an alert needs of `portal.PortalLink`), so this app imports nothing of the portal; the email
links to the portal's alert page by URL name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.roles import Capability, Role
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.mail.models import OutboxMessage
from ketaflow.mail.services import queue_message
from ketaflow.questionnaires.models import AlertSource, InstrumentResponse, RiskAlert


class PatientLink(Protocol):
    """What an alert needs of the patient's questionnaire link (`portal.PortalLink`)."""

    @property
    def pk(self) -> Any: ...

    @property
    def audit_label(self) -> str: ...


EMAIL_SUBJECT = "Ketaflow: a patient's answer needs action today"
_WHAT = {
    AlertSource.PATIENT_LINK: (
        "A patient's questionnaire answer raised a safety alert (e.g. PHQ-9 item 9 above 0)."
    ),
    AlertSource.STAFF_ENTRY: (
        "A rating scale entered by staff raised a safety alert (PHQ-9 item 9 above 0, or a "
        "C-SSRS risk level that needs action)."
    ),
}


def alert_recipients(clinic: Clinic, source: AlertSource = AlertSource.PATIENT_LINK) -> list[str]:
    """Who is emailed: prescribers for staff entries; nurses and prescribers for patient links.

    A staff-entered risk was seen by the person who entered it; what it needs next is a
    prescriber's assessment before treatment continues (the core's C-SSRS message), so only
    prescribers are emailed. A patient's own answer has been seen by nobody yet, so everyone
    who answers alerts (SEND_QUESTIONNAIRES) is. Either way the alert is on the clinic's list.
    """
    users = User.objects.filter(clinic=clinic, is_active=True).exclude(email="")
    if source is AlertSource.STAFF_ENTRY:
        users = users.filter(role=Role.PRESCRIBER)
    return sorted({u.email for u in users if u.can(Capability.SEND_QUESTIONNAIRES)})


def raise_risk_alert_if_needed(
    response: InstrumentResponse,
    *,
    link: PatientLink | None = None,
    now: datetime | None = None,
    base_url: str | None = None,
) -> list[RiskAlert]:
    """Raise one alert per safety flag of a stored response; returns the alerts raised now.

    `link` is the patient's questionnaire link when the patient answered (source "patient
    link"); without it the response was entered by staff (`response.recorded_by`). Nothing is
    raised for a response entered in error, and never twice for the same response and flag
    (checked here, and by the table's unique constraint under a race).
    """
    if response.pk is None:
        raise ValueError("Store the response before raising alerts for it.")
    if response.status == RecordStatus.ENTERED_IN_ERROR:
        return []
    flags = response.safety_flags
    if not flags:
        return []
    source = AlertSource.PATIENT_LINK if link is not None else AlertSource.STAFF_ENTRY
    already = set(RiskAlert.objects.filter(response=response).values_list("flag_code", flat=True))
    when = now or timezone.now()
    actor = response.recorded_by if source is AlertSource.STAFF_ENTRY else None
    recipients = alert_recipients(response.patient.clinic, source)
    raised: list[RiskAlert] = []
    for flag in flags:
        code = str(flag.get("code", ""))
        if not code or code in already:
            continue
        alert = RiskAlert(
            clinic_id=response.patient.clinic_id,
            patient_id=response.patient_id,
            response=response,
            flag_code=code,
            message=str(flag.get("message", "")),
            raised_at=when,
            link_id=link.pk if link is not None else None,
        )
        alert._history_user = actor  # type: ignore[attr-defined]
        try:
            # A savepoint: losing a race to another caller leaves the caller's transaction usable.
            with transaction.atomic():
                alert.save()
        except IntegrityError:
            continue
        already.add(code)
        _audit(alert, link, actor, len(recipients))
        raised.append(alert)
    if raised and recipients:
        url = (base_url or settings.KETAFLOW_PUBLIC_URL).rstrip("/")
        _queue_email(raised, recipients, url, source, when)
    return raised


def _audit(alert: RiskAlert, link: PatientLink | None, actor: User | None, recipients: int) -> None:
    record_event(
        actor=actor,
        actor_label=link.audit_label if link is not None else None,
        action=Action.CREATE,
        obj=alert,
        detail={
            "flag": alert.flag_code,
            "response": alert.response_id,
            "source": alert.source.value,
            "emailing": recipients,
        },
    )


EMAIL_KIND = "risk_alert"


def _queue_email(
    alerts: Sequence[RiskAlert],
    recipients: list[str],
    base_url: str,
    source: AlertSource,
    now: datetime,
) -> None:
    """Queue the alert links in the outbox, in the response's transaction (no name, no
    answers: email is not secure). One message per set of alerts, never two."""
    ids = [a.pk for a in alerts]
    urls = "\n".join(base_url + reverse("portal:alert", kwargs={"pk": pk}) for pk in ids)
    queue_message(
        clinic_id=alerts[0].clinic_id,
        key=f"{EMAIL_KIND}:{'-'.join(str(pk) for pk in ids)}",
        kind=EMAIL_KIND,
        subject=EMAIL_SUBJECT,
        body=(
            f"{_WHAT[source]} Open the alert, contact the patient and record what you "
            f"did:\n\n{urls}\n"
        ),
        recipients=recipients,
        refs=ids,
        now=now,
    )


def note_emailed(message: OutboxMessage) -> None:
    """Once the outbox has sent an alert email: the alerts show whom it reached."""
    for alert in RiskAlert.objects.filter(pk__in=message.refs):
        alert.emailed_to = list(message.recipients)
        alert.save(update_fields=["emailed_to"])
