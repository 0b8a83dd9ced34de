"""Staff pages: `{% open_risk_alerts %}`, `{% patient_banner patient %}`, `{% risk_flag patient %}`.

`open_risk_alerts`: for the staff home or the top bar, a red link with the number of alerts
waiting, drawn only for roles that read clinical data and only when there is something to
act on. `patient_banner`: the one patient banner at the top of every page about one patient
(name, date of birth, MRN; for clinical roles the allergy line and the risk flags), read by
`ketaflow.portal.banner`; pages include it through `patients/_header.html` or directly.
`risk_flag patient compact=True`: the short flag on the chair board's row while a risk alert
waits for a prescriber's assessment (`ketaflow.treatments.risk`); clinical roles only.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from ketaflow.accounts.roles import Capability
from ketaflow.portal.banner import patient_banner as read_banner
from ketaflow.portal.selectors import open_alert_count
from ketaflow.treatments.risk import alerts_awaiting_assessment

register = template.Library()


@register.inclusion_tag("portal/staff/_alert_badge.html", takes_context=True)
def open_risk_alerts(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    count = open_alert_count(user) if user is not None and user.is_authenticated else 0
    return {"open_alerts": count}


@register.inclusion_tag("portal/staff/_patient_banner.html", takes_context=True)
def patient_banner(
    context: template.Context, patient: Any, heading: bool = False
) -> dict[str, Any]:
    """`heading=True`: the name is the page's h1 (the patient record's own pages)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"banner": read_banner(user, patient, timezone.now()), "heading": heading}


@register.inclusion_tag("portal/staff/_risk_flag.html", takes_context=True)
def risk_flag(
    context: template.Context, patient: Any, compact: bool = False, waiting: Any = None
) -> dict[str, Any]:
    """Not audited separately: drawn only inside a page whose view records the patient read.

    `waiting`: the patient's alerts awaiting assessment when the page already read them for
    many patients at once (the chair board's rows); otherwise read here.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if (
        patient is None
        or user is None
        or not getattr(user, "is_authenticated", False)
        or not user.can(Capability.VIEW_CLINICAL)
        or patient.clinic_id != user.clinic_id
    ):
        return {"waiting": []}
    return {
        "waiting": (
            alerts_awaiting_assessment(patient.pk, timezone.now()) if waiting is None else waiting
        ),
        "patient": patient,
        "compact": compact,
    }
