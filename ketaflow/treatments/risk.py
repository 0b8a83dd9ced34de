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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min

from ketaflow.questionnaires.models import RiskAlert
from ketaflow.treatments.models import AdministrationEvent, RiskAssessment


def last_treatment_started_at(
    patient_id: int, before: datetime, *, exclude_session_id: int | None = None
) -> datetime | None:
    """The first dose of the patient's latest dosed session (struck lines ignored)."""
    return _last_starts([patient_id], before, exclude_session_id).get(patient_id)


def _last_starts(
    patient_ids: Iterable[int], before: datetime, exclude_session_id: int | None
) -> dict[int, datetime]:
    """Per patient, the first dose of their latest dosed session: one query for them all."""
    firsts = (
        AdministrationEvent.objects.filter(
            session__patient_id__in=list(patient_ids),
            entered_in_error_at__isnull=True,
            kind__in=("start", "bolus"),
            at__lte=before,
        )
        .exclude(session_id=exclude_session_id)
        .values("session__patient_id", "session_id")
        .annotate(first=Min("at"))
        .values_list("session__patient_id", "first")
    )
    latest: dict[int, datetime] = {}
    for patient_id, first in firsts:
        if patient_id not in latest or first > latest[patient_id]:
            latest[patient_id] = first
    return latest


def alerts_awaiting_assessment(
    patient_id: int, now: datetime, *, session_id: int | None = None
) -> list[RiskAlert]:
    """The patient's risk alerts that no prescriber's assessment has resolved yet, oldest first.

    `session_id`: the session about to start (its own doses, if any, do not count as "since").
    """
    return alerts_awaiting_assessment_of([patient_id], now, session_id=session_id)[patient_id]


def alerts_awaiting_assessment_of(
    patient_ids: Iterable[int], now: datetime, *, session_id: int | None = None
) -> dict[int, list[RiskAlert]]:
    """`alerts_awaiting_assessment` for many patients in two queries (the chair board's rows)."""
    ids = sorted(set(patient_ids))
    since = _last_starts(ids, now, session_id)
    waiting: dict[int, list[RiskAlert]] = {pk: [] for pk in ids}
    alerts = RiskAlert.objects.filter(
        patient_id__in=ids, assessment__isnull=True, raised_at__lte=now
    ).select_related("response")
    for alert in alerts.order_by("raised_at", "pk"):
        start = since.get(alert.patient_id)
        if start is None or alert.raised_at > start:
            waiting[alert.patient_id].append(alert)
    return waiting


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
    return risk_gates([(patient_id, session_id)], now)[session_id]


def risk_gates(pairs: Iterable[tuple[int, int]], now: datetime) -> dict[int, RiskGate]:
    """`risk_gate` for many (patient, session) pairs at once, by session: three queries
    however many sessions (the chair board's checked-in chairs). Each session's own doses are
    left out of its patient's "since", exactly as `risk_gate` leaves them out."""
    pairs = list(pairs)
    patient_ids = sorted({p for p, _s in pairs})
    firsts = (
        AdministrationEvent.objects.filter(
            session__patient_id__in=patient_ids,
            entered_in_error_at__isnull=True,
            kind__in=("start", "bolus"),
            at__lte=now,
        )
        .values("session__patient_id", "session_id")
        .annotate(first=Min("at"))
        .values_list("session__patient_id", "session_id", "first")
    )
    starts: dict[int, list[tuple[int, datetime]]] = {p: [] for p in patient_ids}
    for patient_id, session_id, first in firsts:
        starts[patient_id].append((session_id, first))
    alerts: dict[int, list[RiskAlert]] = {p: [] for p in patient_ids}
    found = RiskAlert.objects.filter(
        patient_id__in=patient_ids, assessment__isnull=True, raised_at__lte=now
    ).select_related("response")
    for alert in found.order_by("raised_at", "pk"):
        alerts[alert.patient_id].append(alert)
    assessments: dict[int, RiskAssessment] = {}
    rows = RiskAssessment.objects.filter(session_id__in=[s for _p, s in pairs])
    for a in rows.select_related("assessed_by").order_by("-assessed_at", "-pk"):
        assessments.setdefault(a.session_id, a)
    gates = {}
    for patient_id, session_id in pairs:
        since = max((f for s, f in starts[patient_id] if s != session_id), default=None)
        waiting = tuple(a for a in alerts[patient_id] if since is None or a.raised_at > since)
        gates[session_id] = RiskGate(waiting, assessments.get(session_id))
    return gates


__all__ = [
    "RiskGate",
    "alerts_awaiting_assessment",
    "last_treatment_started_at",
    "latest_assessment",
    "risk_gate",
    "risk_gates",
]
