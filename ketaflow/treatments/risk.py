"""Which risk alerts still wait for a prescriber's assessment: the one home of that rule.

Read by the pre-session checklist (`treatments.derive`, which gates the start on it), by
the patient banner on every patient, course and session page (`portal.banner`) and by the
chair board's flag (`portal_tags.risk_flag`). No permission check and no audit here: callers
have checked theirs (the derive layer after the session selector; the banner and the flag
only for VIEW_CLINICAL).

An alert waits for an assessment when no `RiskAssessment` resolved it and it was raised
after the first dose of the patient's latest dosed session. So acknowledging an alert with a
free-text note ("called the patient") does not let the next session start: only a
prescriber's structured assessment does. Alerts raised before a treatment that has since
been given (records from before this rule) no longer gate.

Why here: the assessment belongs to a session and the rule reads the session's administration
events; `RiskAlert` sits below, in the questionnaires app that raises it. The portal's pages
and its flag read this module downward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min

from ketaflow.questionnaires.models import RiskAlert
from ketaflow.treatments.models import AdministrationEvent, RiskAssessment


def last_treatment_started_at(
    patient_id: int, before: datetime, *, exclude_session_id: int | None = None
) -> datetime | None:
    """The first dose of the patient's latest dosed session (struck lines ignored)."""
    firsts = (
        AdministrationEvent.objects.filter(
            session__patient_id=patient_id,
            entered_in_error_at__isnull=True,
            kind__in=("start", "bolus"),
            at__lte=before,
        )
        .exclude(session_id=exclude_session_id)
        .values("session_id")
        .annotate(first=Min("at"))
        .values_list("first", flat=True)
    )
    return max(firsts, default=None)


def alerts_awaiting_assessment(
    patient_id: int, now: datetime, *, session_id: int | None = None
) -> list[RiskAlert]:
    """The patient's risk alerts that no prescriber's assessment has resolved yet, oldest first.

    `session_id`: the session about to start (its own doses, if any, do not count as "since").
    """
    since = last_treatment_started_at(patient_id, now, exclude_session_id=session_id)
    qs = RiskAlert.objects.filter(
        patient_id=patient_id, assessment__isnull=True, raised_at__lte=now
    )
    if since is not None:
        qs = qs.filter(raised_at__gt=since)
    return list(qs.select_related("response").order_by("raised_at", "pk"))


def latest_assessment(session_id: int) -> RiskAssessment | None:
    """The latest prescriber's risk assessment recorded for this session."""
    return (
        RiskAssessment.objects.filter(session_id=session_id)
        .select_related("assessed_by")
        .order_by("-assessed_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class RiskGate:
    """What the checklist's "suicide risk assessed" item reads for one session."""

    waiting: tuple[RiskAlert, ...]
    assessment: RiskAssessment | None


def risk_gate(patient_id: int, session_id: int, now: datetime) -> RiskGate:
    return RiskGate(
        tuple(alerts_awaiting_assessment(patient_id, now, session_id=session_id)),
        latest_assessment(session_id),
    )


__all__ = [
    "RiskGate",
    "alerts_awaiting_assessment",
    "last_treatment_started_at",
    "latest_assessment",
    "risk_gate",
]
