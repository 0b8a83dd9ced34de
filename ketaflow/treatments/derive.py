"""From a session's rows to the core's answers: record, checklist, alerts, discharge, phase.

No permission checks and no writes (services and selectors call these after theirs). Every
derived value (delivered mg, pump state, alerts, readiness) is computed here on each read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ketaflow.audit.history import RecordStatus
from ketaflow.clinical import administration as adm
from ketaflow.clinical import session_exceptions as sx
from ketaflow.clinical import titration
from ketaflow.clinical.checklist import (
    Checklist,
    ChecklistInputs,
    Decision,
    RiskAssessment,
    SubstanceDecision,
    escort_recorded,
    evaluate,
)
from ketaflow.clinical.discharge import (
    DischargeInputs,
    DischargePolicy,
    DischargeReadiness,
    Override,
    assess_discharge,
)
from ketaflow.clinical.dosing import DEFAULT_DOSING_LIMITS, EarlierDose
from ketaflow.clinical.evidence import ClinicDefault, cite
from ketaflow.clinical.misuse import HomeDose, Spacing, assess_misuse
from ketaflow.clinical.misuse import SessionDose as MisuseDose
from ketaflow.clinical.monitoring import (
    Alert,
    AlertLevel,
    Phase,
    VitalSigns,
    assess_in_session,
    moaas_for_reading,
    vitals_due,
)
from ketaflow.clinical.monitoring.schedule import VitalsDue
from ketaflow.clinical.protocols import DoseUnit, Protocol
from ketaflow.clinical.routes import Route
from ketaflow.lib.clock import local
from ketaflow.ops import freshness
from ketaflow.patients.models import Measurement, Patient, PregnancyRecord
from ketaflow.questionnaires.models import Context, InstrumentResponse
from ketaflow.screening.selectors import consent_gate, eligibility_gate
from ketaflow.treatments.models import (
    AdministrationEvent,
    ChecklistAnswers,
    DischargeRecord,
    DoseOrder,
    OrderStatus,
    Severity,
    TreatmentSession,
    VitalsReading,
)
from ketaflow.treatments.models import (
    SubstanceDecision as SubstanceDecisionRow,
)
from ketaflow.treatments.risk import RiskGate, risk_gates


def protocol_of(session: TreatmentSession) -> Protocol:
    """The core's protocol of the version the session runs under, parsed once per loaded
    version row (a version's data never changes; a read that loads the row again parses it
    again), not once per question asked of it."""
    version = session.protocol_version
    parsed = version.__dict__.get("_ketaflow_protocol")
    if parsed is None or parsed[0] is not version.data:
        parsed = (version.data, version.load())
        version.__dict__["_ketaflow_protocol"] = parsed
    return parsed[1]


def route_of(session: TreatmentSession) -> Route:
    return Route(session.route)


@dataclass(frozen=True)
class SessionRows:
    """A session's rows that a view of it reads, loaded once (for many sessions at once by
    `load_rows`), so the functions below need not each query them again. Each list is in the
    order the functions' own queries use: orders by pk, events and vitals by (time, pk),
    scales by (administered_at, pk); vitals come with their acknowledgements."""

    orders: list[DoseOrder]
    events: list[AdministrationEvent]
    vitals: list[VitalsReading]
    scales: list[InstrumentResponse]


def load_rows(sessions: Sequence[TreatmentSession]) -> dict[int, SessionRows]:
    """The rows of these sessions, one query per table however many sessions (the board)."""
    ids = [s.pk for s in sessions]
    rows = {pk: SessionRows([], [], [], []) for pk in ids}
    for o in DoseOrder.objects.filter(session_id__in=ids).order_by("pk"):
        rows[o.session_id].orders.append(o)
    for e in AdministrationEvent.objects.filter(session_id__in=ids).order_by("at", "pk"):
        rows[e.session_id].events.append(e)
    vitals = VitalsReading.objects.filter(session_id__in=ids).order_by("taken_at", "pk")
    for v in vitals.prefetch_related("acks__by"):
        rows[v.session_id].vitals.append(v)
    by_ref = {f"session:{pk}": pk for pk in ids}
    scales = InstrumentResponse.objects.filter(context_ref__in=list(by_ref)).order_by(
        "administered_at", "pk"
    )
    for r in scales:
        rows[by_ref[r.context_ref]].scales.append(r)
    return rows


def current_order(session: TreatmentSession, rows: SessionRows | None = None) -> DoseOrder | None:
    if rows is not None:
        live = [o for o in rows.orders if o.status != OrderStatus.SUPERSEDED]
        return live[-1] if live else None
    return session.orders.exclude(status=OrderStatus.SUPERSEDED).order_by("-pk").first()


def confirmed_order(session: TreatmentSession, rows: SessionRows | None = None) -> DoseOrder | None:
    order = current_order(session, rows)
    return order if order is not None and order.status == OrderStatus.CONFIRMED else None


def core_event(
    kind: str,
    at: datetime,
    rate_ml_per_h: float | None,
    bolus_mg: float | None,
    concentration: float | None,
) -> adm.Event:
    """One administration row as the core's event: the pump's mL/h in mg/min at the order's
    concentration (no rate without a concentration; the core then refuses the start)."""
    rate = None
    if rate_ml_per_h is not None and concentration:
        rate = rate_ml_per_h * concentration / 60.0
    return adm.Event(at, adm.EventKind(kind), mg_per_min=rate, mg=bolus_mg)


def core_events(
    session: TreatmentSession, concentration: float | None, rows: SessionRows | None = None
) -> list[adm.Event]:
    lines = (
        [e for e in rows.events if e.entered_in_error_at is None]
        if rows is not None
        else session.events.filter(entered_in_error_at__isnull=True).order_by("at", "pk")
    )
    return [core_event(e.kind, e.at, e.rate_ml_per_h, e.bolus_mg, concentration) for e in lines]


def record_of(
    session: TreatmentSession, rows: SessionRows | None = None
) -> adm.AdministrationRecord:
    order = confirmed_order(session, rows)
    conc = order.concentration_mg_per_ml if order else None
    return adm.validate_events(core_events(session, conc, rows))


def dose_completed_at(
    session: TreatmentSession, record: adm.AdministrationRecord
) -> datetime | None:
    """IV: the stop. Other routes: the last dose once the nurse marked dosing complete."""
    if route_of(session) is Route.IV:
        return record.stopped_at
    if session.status in ("observing", "discharged", "signed"):
        return record.dose_completed_at()
    return None


def phase_at(session: TreatmentSession, record: adm.AdministrationRecord, at: datetime) -> Phase:
    first = record.first_dose_at
    if first is None or at < first:
        return Phase.PRE_DOSE
    done = dose_completed_at(session, record)
    if done is not None and at >= done:
        return Phase.POST_DOSE
    return Phase.DURING_DOSE


def vitals_of(reading: VitalsReading) -> VitalSigns:
    return VitalSigns(
        sbp=reading.sbp,
        dbp=reading.dbp,
        hr=reading.hr,
        spo2=reading.spo2,
        rr=reading.rr,
        on_oxygen=reading.on_oxygen,
        oxygen_l_per_min=reading.oxygen_l_per_min,
    )


def _in_force_scales(
    session: TreatmentSession, rows: SessionRows, code: str
) -> list[InstrumentResponse]:
    return [
        r
        for r in rows.scales
        if r.instrument == code
        and r.patient_id == session.patient_id
        and r.status != RecordStatus.ENTERED_IN_ERROR
    ]


def moaas_scores(
    session: TreatmentSession, loaded: SessionRows | None = None
) -> list[tuple[datetime, int]]:
    """Every MOAA/S of this session (time, total), for pairing with readings."""
    if loaded is not None:
        return [
            (r.administered_at, int(r.total))
            for r in _in_force_scales(session, loaded, "moaas")
            if r.total is not None
        ]
    rows = (
        InstrumentResponse.objects.filter(
            patient_id=session.patient_id, instrument="moaas", context_ref=f"session:{session.pk}"
        )
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .exclude(total__isnull=True)
        .values_list("administered_at", "total")
    )
    return [(at, int(total)) for at, total in rows]


def alerts_of_signs(
    session: TreatmentSession,
    record: adm.AdministrationRecord,
    baseline: VitalSigns | None,
    signs: VitalSigns,
    at: datetime,
    scores: list[tuple[datetime, int]],
) -> tuple[Phase, tuple[Alert, ...]]:
    """The core's alerts for a reading taken at `at`, however it arrived (typed, API, monitor).

    The MOAA/S scored with the reading (`moaas_for_reading`) goes with it, so the combined
    breathing-and-sedation rule sees sedation whichever path brought the vitals.
    """
    phase = phase_at(session, record, at)
    alerts = assess_in_session(signs, phase, baseline, moaas_nearby=moaas_for_reading(at, scores))
    return phase, tuple(sorted(alerts, key=alert_order))


def latest_scale(
    session: TreatmentSession,
    code: str,
    *,
    before: datetime | None = None,
    rows: SessionRows | None = None,
) -> int | None:
    if rows is not None:
        found = [
            r
            for r in _in_force_scales(session, rows, code)
            if before is None or r.administered_at <= before
        ]
        return found[-1].total if found else None
    qs = InstrumentResponse.objects.filter(
        patient_id=session.patient_id, instrument=code, context_ref=f"session:{session.pk}"
    ).exclude(status=RecordStatus.ENTERED_IN_ERROR)
    if before is not None:
        qs = qs.filter(administered_at__lte=before)
    row = qs.order_by("-administered_at", "-pk").first()
    return row.total if row is not None else None


def baseline_of(
    session: TreatmentSession, record: adm.AdministrationRecord, rows: SessionRows | None = None
) -> VitalsReading | None:
    """The last reading before the first dose (or the last reading, before dosing)."""
    if rows is not None:
        first_dose = record.first_dose_at
        found = [v for v in rows.vitals if first_dose is None or v.taken_at <= first_dose]
        return found[-1] if found else None
    qs = session.vitals.order_by("-taken_at", "-pk")
    first = record.first_dose_at
    if first is not None:
        qs = qs.filter(taken_at__lte=first)
    return qs.first()


def baseline_signs(
    session: TreatmentSession, record: adm.AdministrationRecord, rows: SessionRows | None = None
) -> VitalSigns | None:
    row = baseline_of(session, record, rows)
    if row is None:
        return None
    first = record.first_dose_at
    return dataclasses.replace(
        vitals_of(row),
        moaas=latest_scale(session, "moaas", before=first, rows=rows),
        cadss=latest_scale(session, "cadss", before=first, rows=rows),
    )


PHASE_LABELS = {
    Phase.PRE_DOSE: "Before dose",
    Phase.DURING_DOSE: "During dose",
    Phase.POST_DOSE: "After dose",
}
_VITAL_ORDER = {"sbp": 0, "dbp": 1, "hr": 2, "spo2": 3, "rr": 4}


def alert_order(alert: Alert) -> tuple[int, int, str]:
    """Most urgent first; within a level, in the order the row shows the vitals (SBP, DBP…)."""
    return (-alert.level, _VITAL_ORDER.get(alert.vital or "", len(_VITAL_ORDER)), alert.code)


@dataclass(frozen=True)
class ReadingView:
    reading: VitalsReading
    phase: Phase
    alerts: tuple[Alert, ...]
    acked: dict[str, str]  # code -> "by at"

    @property
    def phase_label(self) -> str:
        return PHASE_LABELS[self.phase]

    @property
    def open_alerts(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.code not in self.acked)


def reading_views(
    session: TreatmentSession, record: adm.AdministrationRecord, rows: SessionRows | None = None
) -> list[ReadingView]:
    base = baseline_signs(session, record, rows)
    scores = moaas_scores(session, rows)
    views = []
    readings = (
        rows.vitals
        if rows is not None
        else session.vitals.order_by("taken_at", "pk").prefetch_related("acks__by")
    )
    for r in readings:
        phase, alerts = alerts_of_signs(session, record, base, vitals_of(r), r.taken_at, scores)
        acked = {a.code: f"{a.by} at {a.at:%H:%M}" for a in r.acks.all()}
        views.append(ReadingView(r, phase, alerts, acked))
    return views


def alerts_for(session: TreatmentSession, reading: VitalsReading) -> tuple[Alert, ...]:
    record = record_of(session)
    for view in reading_views(session, record):
        if view.reading.pk == reading.pk:
            return view.alerts
    return ()


#: Alerts at these levels must be acknowledged before a session is signed. Warn is included:
#: a warn alert asks for a recheck or the prescriber ("call prescriber", "consider delaying"),
#: and the signed record should show someone saw it; info (CADSS judgement) is not.
SIGN_BLOCKING_LEVELS = frozenset({AlertLevel.WARN, AlertLevel.CRITICAL})


def open_alerts_to_sign(
    session: TreatmentSession, rows: SessionRows | None = None
) -> list[tuple[VitalsReading, Alert]]:
    """Unacknowledged warn/critical alerts, most urgent first, then by time.

    `rows`: the session's rows already loaded (`load_rows`, for many sessions at once).
    """
    found = [
        (view.reading, alert)
        for view in reading_views(session, record_of(session, rows), rows)
        for alert in view.open_alerts
        if alert.level in SIGN_BLOCKING_LEVELS
    ]
    return sorted(found, key=lambda ra: (-ra[1].level, ra[0].taken_at, ra[0].pk))


def latest_answers(session: TreatmentSession) -> ChecklistAnswers | None:
    return session.checklist_answers.order_by("-recorded_at", "-pk").first()


def checklist_escort(session: TreatmentSession) -> tuple[str, str] | None:
    """The escort (name, phone) the pre-session checklist recorded, if it counts as recorded."""
    answers = latest_answers(session)
    if answers is None or not escort_recorded(answers.escort_name, answers.escort_phone):
        return None
    return answers.escort_name.strip(), answers.escort_phone.strip()


def latest_scale_response(session: TreatmentSession, code: str) -> InstrumentResponse | None:
    """This session's latest response to an in-session scale (entries in error left out)."""
    return (
        InstrumentResponse.objects.filter(
            patient_id=session.patient_id, instrument=code, context_ref=f"session:{session.pk}"
        )
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .order_by("-administered_at", "-pk")
        .first()
    )


def _weight_rows(session: TreatmentSession) -> list[Measurement]:
    """The patient's weights in force, newest first."""
    return list(
        Measurement.objects.filter(
            patient_id=session.patient_id, kind=Measurement.Kind.WEIGHT, status=RecordStatus.ACTIVE
        ).order_by("-measured_on", "-recorded_at")
    )


def last_weight(session: TreatmentSession) -> Measurement | None:
    """The patient's last recorded weight (any day), or None."""
    rows = _weight_rows(session)[:1]
    return rows[0] if rows else None


def _weights(session: TreatmentSession, today: date) -> tuple[float | None, float | None]:
    return _weights_of(_weight_rows(session), today)


def _weights_of(rows: list[Measurement], today: date) -> tuple[float | None, float | None]:
    """Today's weight and the last one before today, from weights in force, newest first."""
    todays = next((r for r in rows if r.measured_on == today), None)
    earlier = next((r for r in rows if r.measured_on < today), None)
    return (
        float(todays.value) if todays else None,
        float(earlier.value) if earlier else None,
    )


def todays_weight(session: TreatmentSession, today: date) -> Decimal | None:
    w, _ = _weights(session, today)
    return Decimal(str(w)) if w is not None else None


def todays_cssrs(session: TreatmentSession, now: datetime) -> list[InstrumentResponse]:
    """The patient's C-SSRS screens from today (clinic date), newest first, for the assessment."""
    today = local(now, session.patient.clinic).date()
    rows = InstrumentResponse.objects.filter(
        patient_id=session.patient_id, instrument="cssrs", administered_at__lte=now
    ).exclude(status=RecordStatus.ENTERED_IN_ERROR)
    return [
        r
        for r in rows.order_by("-administered_at", "-pk")[:20]
        if local(r.administered_at, session.patient.clinic).date() == today
    ]


def latest_substance_decision(session: TreatmentSession) -> SubstanceDecisionRow | None:
    return session.substance_decisions.select_related("decided_by").first()


def _risk_inputs(gate: RiskGate) -> dict[str, Any]:
    """The open risk alerts and this session's assessment, for the "suicide risk" item."""
    a = gate.assessment
    return {
        "risk_alerts": tuple(alert.message for alert in gate.waiting),
        "risk_assessment": RiskAssessment(
            Decision(a.decision), a.risk_level, a.plan, a.assessed_by.display_name
        )
        if a is not None
        else None,
    }


def _substance_inputs(
    answers: ChecklistAnswers | None, d: SubstanceDecisionRow | None
) -> dict[str, Any]:
    return {
        "alcohol_today": answers.alcohol_today if answers else None,
        "drugs_today": answers.drugs_today if answers else None,
        "intoxication_signs": answers.intoxication_signs if answers else None,
        "substance_decision": SubstanceDecision(
            Decision(d.decision), d.reason, frozenset(d.answers), d.decided_by.display_name
        )
        if d is not None
        else None,
    }


def checklist_of(session: TreatmentSession, now: datetime) -> Checklist:
    """The core's pre-session checklist of one session (`checklists_of` for one)."""
    return checklists_of([session], now)[session.pk]


#: (eligible, reasons) and (consented, reasons): screening's two gates of one patient.
GatePair = tuple[tuple[bool, list[str]], tuple[bool, list[str]]]

#: How long a page may reuse a patient's eligibility and consent gates while nothing was
#: written: they change with the chart (any write ends the reuse at once) and with the date.
GATES_SECONDS_FOR_DISPLAY = 60


def _gates_of(patient: Patient, now: datetime, *, for_display: bool) -> GatePair:
    def compute() -> GatePair:
        return eligibility_gate(patient, now), consent_gate(patient, now)

    if not for_display:
        return compute()
    return freshness.memo(
        "eligibility-consent-gates", patient.pk, compute, seconds=GATES_SECONDS_FOR_DISPLAY
    )


def checklists_of(
    sessions: Sequence[TreatmentSession],
    now: datetime,
    loaded: dict[int, SessionRows] | None = None,
    *,
    for_display: bool = False,
) -> dict[int, Checklist]:
    """The core's pre-session checklist of each session, by session pk, from inputs read for
    all of them at once: one query per table however many sessions (the chair board's
    checked-in chairs), plus the eligibility and consent gates, which screening answers per
    patient. Nothing is kept between calls: every input is read fresh, so an answer recorded
    elsewhere (the patient's own questionnaire) counts at once. `loaded`: the sessions' rows
    if already loaded (`load_rows`).

    `for_display`: a page draws the checklist (the board, the session page), so screening's
    gates may be reused for a minute while nothing was written (`ops.freshness`); a service
    deciding whether a session may start never passes it and always asks them afresh."""
    if not sessions:
        return {}
    ids = [s.pk for s in sessions]
    patient_ids = sorted({s.patient_id for s in sessions})
    rows = loaded if loaded is not None else load_rows(sessions)
    answers: dict[int, ChecklistAnswers] = {}
    for a in ChecklistAnswers.objects.filter(session_id__in=ids).order_by("-recorded_at", "-pk"):
        answers.setdefault(a.session_id, a)
    decisions: dict[int, SubstanceDecisionRow] = {}
    found = SubstanceDecisionRow.objects.filter(session_id__in=ids).select_related("decided_by")
    for d in found.order_by("-decided_at", "-pk"):
        decisions.setdefault(d.session_id, d)
    pregnancy: dict[int, PregnancyRecord] = {}
    tests = PregnancyRecord.objects.filter(
        patient_id__in=patient_ids, status=RecordStatus.ACTIVE, test_done=True
    )
    for p in tests.order_by("-observed_on", "-recorded_at", "-pk"):
        pregnancy.setdefault(p.patient_id, p)
    weights: dict[int, list[Measurement]] = {pk: [] for pk in patient_ids}
    for w in Measurement.objects.filter(
        patient_id__in=patient_ids, kind=Measurement.Kind.WEIGHT, status=RecordStatus.ACTIVE
    ).order_by("-measured_on", "-recorded_at", "-pk"):
        weights[w.patient_id].append(w)
    todays = {s.pk: local(now, s.patient.clinic).date() for s in sessions}
    questionnaire_done: set[tuple[int, date]] = set()
    for day in set(todays.values()):
        done = (
            InstrumentResponse.objects.filter(
                patient_id__in=patient_ids,
                context=Context.PRE_SESSION,
                administered_at__date__gte=day,
            )
            .exclude(status=RecordStatus.ENTERED_IN_ERROR)
            .values_list("patient_id", flat=True)
            .distinct()
        )
        questionnaire_done.update((pid, day) for pid in done)
    gates = risk_gates([(s.patient_id, s.pk) for s in sessions], now)
    patients = {s.patient_id: s.patient for s in sessions}
    both = {pk: _gates_of(p, now, for_display=for_display) for pk, p in patients.items()}
    eligibility = {pk: pair[0] for pk, pair in both.items()}
    consent = {pk: pair[1] for pk, pair in both.items()}
    checklists = {}
    for session in sessions:
        today = todays[session.pk]
        protocol = protocol_of(session)
        answer = answers.get(session.pk)
        record = record_of(session, rows[session.pk])
        preg = pregnancy.get(session.patient_id)
        weight, previous = _weights_of(weights[session.patient_id], today)
        eligible, e_reasons = eligibility[session.patient_id]
        consented, c_reasons = consent[session.patient_id]
        checklists[session.pk] = evaluate(
            ChecklistInputs(
                now=now,
                fasting_solids_minutes=protocol.fasting_solids_minutes.value,
                fasting_clear_liquids_minutes=protocol.fasting_clear_liquids_minutes.value,
                last_food_at=answer.last_food_at if answer else None,
                last_clear_liquid_at=answer.last_clear_liquid_at if answer else None,
                escort_name=answer.escort_name if answer else "",
                escort_phone=answer.escort_phone if answer else "",
                can_become_pregnant=bool(session.patient.can_become_pregnant),
                pregnancy_test_on=preg.observed_on if preg else None,
                pregnancy_test_positive=preg.test_positive if preg else None,
                today=today,
                medication_changes_reviewed=answer.medication_changes_reviewed if answer else None,
                medication_changes=answer.medication_changes if answer else "",
                taken_today=frozenset(answer.taken_today) if answer else frozenset(),
                weight_today_kg=weight,
                previous_weight_kg=previous,
                baseline=baseline_signs(session, record, rows[session.pk]),
                pre_session_questionnaire_done=(session.patient_id, today) in questionnaire_done,
                consent_ok=consented,
                consent_reasons=tuple(c_reasons),
                eligibility_ok=eligible,
                eligibility_reasons=tuple(e_reasons),
                **_risk_inputs(gates[session.pk]),
                **_substance_inputs(answer, decisions.get(session.pk)),
            )
        )
    return checklists


def latest_discharge(session: TreatmentSession) -> DischargeRecord | None:
    return session.discharges.order_by("-recorded_at", "-pk").first()


def discharge_policy(session: TreatmentSession) -> DischargePolicy:
    """The clinic's observation minutes from the protocol version the session runs under."""
    protocol = protocol_of(session)
    minutes = protocol.observation_minutes.effective()
    route = route_of(session)
    field = {
        Route.IV: "observation_min_iv",
        Route.INTRANASAL: "observation_min_esketamine",
        Route.SC: "observation_min_sc",
        Route.IM: "observation_min_im",
        Route.ORAL: "observation_min_oral",
    }[route]
    if route.is_esketamine and minutes.value < 120:
        return DischargePolicy()
    changes: dict[str, Any] = {field: minutes}
    return dataclasses.replace(DischargePolicy(), **changes)


def readiness(
    session: TreatmentSession,
    now: datetime,
    *,
    aldrete: int | None = None,
    padss: int | None = None,
    dissociation_resolved: bool | None = None,
    escort_present: bool | None = None,
    told_not_to_drive: bool | None = None,
    overrides: tuple[Override, ...] | None = None,
    rows: SessionRows | None = None,
) -> DischargeReadiness | None:
    """The core's discharge assessment from the rows (and this form's values, if given).
    `rows`: the session's rows if already loaded (`load_rows`)."""
    record = record_of(session, rows)
    done = dose_completed_at(session, record)
    if done is None or now < done:
        return None
    last = latest_discharge(session)
    if rows is not None:
        readings = [v for v in rows.vitals if v.taken_at >= done][-1:]
    else:
        readings = list(session.vitals.filter(taken_at__gte=done).order_by("-taken_at", "-pk")[:1])
    latest = vitals_of(readings[0]) if readings else None
    if latest is not None:
        latest = dataclasses.replace(
            latest,
            moaas=latest_scale(session, "moaas", rows=rows),
            cadss=latest_scale(session, "cadss", rows=rows),
        )
    stored = tuple(Override(o["code"], o["reason"]) for o in (last.overrides if last else []))

    def pick(value: object, attr: str, default: object) -> object:
        if value is not None:
            return value
        return getattr(last, attr) if last is not None else default

    return assess_discharge(
        DischargeInputs(
            route=route_of(session),
            dose_completed_at=done,
            now=now,
            baseline=baseline_signs(session, record, rows),
            latest=latest,
            aldrete_score=pick(aldrete, "aldrete_score", None),  # type: ignore[arg-type]
            padss_score=pick(padss, "padss_score", None),  # type: ignore[arg-type]
            dissociation_resolved=pick(  # type: ignore[arg-type]
                dissociation_resolved, "dissociation_resolved", None
            ),
            escort_present=bool(pick(escort_present, "escort_present", False)),
            told_not_to_drive=bool(pick(told_not_to_drive, "told_not_to_drive", False)),
            overrides=overrides if overrides is not None else stored,
        ),
        discharge_policy(session),
    )


def due(
    session: TreatmentSession,
    record: adm.AdministrationRecord,
    now: datetime,
    rows: SessionRows | None = None,
) -> VitalsDue | None:
    first = record.first_dose_at
    if first is None:
        return None
    route = route_of(session)
    readings = rows.vitals if rows is not None else session.vitals.all()
    times = [r.taken_at for r in readings if r.taken_at <= now]
    done = dose_completed_at(session, record)
    obs_end = None
    if done is not None:
        from ketaflow.clinical.discharge import earliest_discharge_time

        obs_end = earliest_discharge_time(route, done, discharge_policy(session))
    return vitals_due(
        route,
        dose_start=first,
        now=max(now, *times) if times else now,
        readings=times,
        infusion_end=done if route is Route.IV else None,
        observation_end=obs_end,
    )


BOARD_PHASES = {
    "waiting": "Waiting",
    "checklist": "Checklist",
    "ready": "Ready to dose",
    "infusing": "Infusing",
    "paused": "Paused",
    "dosing": "Dosing",
    "observing": "Observing",
    "discharge_ready": "Ready for discharge",
    "discharged": "Discharged",
    "signed": "Signed",
}


def board_phase(
    session: TreatmentSession,
    record: adm.AdministrationRecord,
    now: datetime,
    rows: SessionRows | None = None,
    assessed: DischargeReadiness | None = None,
) -> str:
    """The session's phase on the board. `rows`: its rows if already loaded; `assessed`: its
    discharge readiness if already assessed at `now` on this read (else assessed here)."""
    if session.status == "signed":
        return "signed"
    if session.status == "discharged":
        return "discharged"
    if session.status == "checked_in":
        return "checklist"
    if session.status == "ready":
        return "ready"
    state = adm.state_at(record, now)
    if state is adm.InfusionState.INFUSING:
        return "infusing"
    if state is adm.InfusionState.PAUSED:
        return "paused"
    if session.status == "in_progress":
        return "dosing"
    result = assessed if assessed is not None else readiness(session, now, rows=rows)
    return "discharge_ready" if result is not None and result.ready else "observing"


# ---------------------------------------------------------------------------- exceptions


def max_pause_of(session: TreatmentSession) -> ClinicDefault[int]:
    """The protocol's allowed pause (its setting, else the core's clinic default)."""
    setting = protocol_of(session).max_pause_minutes
    return setting.effective() if setting is not None else sx.MAX_PAUSE_MINUTES


def event_reasons(session: TreatmentSession) -> list[str]:
    """The reason on each line in force, aligned with `record_of(session).events`."""
    return [
        e.reason
        for e in session.events.filter(entered_in_error_at__isnull=True).order_by("at", "pk")
    ]


def exception_summary(session: TreatmentSession, at: datetime) -> sx.ExceptionSummary:
    """The session's deviations, overrides and alerts with their reasons, for signing."""
    record = record_of(session)
    order = confirmed_order(session)
    alerts = []
    for view in reading_views(session, record):
        acks = {a.code: a for a in view.reading.acks.all()}
        for alert in view.alerts:
            if alert.level not in SIGN_BLOCKING_LEVELS:
                continue
            ack = acks.get(alert.code)
            alerts.append(
                sx.AlertSeen(
                    at=view.reading.taken_at,
                    code=alert.code,
                    level=alert.level.label,
                    message=alert.message,
                    acknowledged_by=str(ack.by) if ack else "",
                    action_taken=ack.note if ack else "",
                    sources=alert.sources,
                )
            )
    left = session.discharges.filter(discharged_at__isnull=False).order_by(
        "-discharged_at"
    ).first() or latest_discharge(session)
    discharge_overrides = (
        [
            sx.OverrideUsed(o["code"], o.get("reason", ""), str(left.overridden_by or ""))
            for o in left.overrides
        ]
        if left is not None
        else []
    )
    return sx.summarise(
        record,
        event_reasons(session),
        at,
        ordered_mg=order.dose_mg if order is not None else None,
        ordered_mg_per_min=order.mg_per_min if order is not None else None,
        max_pause=max_pause_of(session),
        order_overrides=[
            sx.OverrideUsed(o["code"], o.get("reason", ""), o.get("by", ""))
            for o in (order.overrides if order is not None else [])
        ],
        alerts=alerts,
        discharge_overrides=discharge_overrides,
    )


# ---------------------------------------------------------------------------- dose limits


def earlier_doses(session: TreatmentSession) -> list[EarlierDose]:
    """The mg/kg doses of this course's earlier sessions on the same route, for the SC/IM steps.

    Not tolerated ("stopped for an adverse effect", see `clinical/dosing/steps.py`): a severe
    side effect, a rescue medication, or less delivered than ordered (stopped early).
    """
    found = []
    earlier = TreatmentSession.objects.filter(
        course_id=session.course_id,
        route=session.route,
        session_number__lt=session.session_number,
    ).exclude(pk=session.pk)
    for row in earlier:
        order = confirmed_order(row)
        if order is None or order.mg_per_kg is None:
            continue
        record = record_of(row)
        end = record.last_event_at
        delivered = adm.delivered_mg(record, end) if end is not None else 0.0
        adverse = (
            row.side_effects.filter(severity=Severity.SEVERE).exists()
            or row.rescues.exists()
            or delivered < order.dose_mg - adm.ORDER_TOLERANCE_MG
        )
        found.append(EarlierDose(order.mg_per_kg, row.is_signed, adverse))
    return found


def first_step_mg_per_kg(session: TreatmentSession) -> float | None:
    """The protocol's first mg/kg dose (None for a fixed-dose protocol)."""
    protocol = protocol_of(session)
    if protocol.dose_unit is not DoseUnit.MG_PER_KG:
        return None
    return float(protocol.phases[0].dose(0).value)


def session_limits(order: DoseOrder) -> adm.SessionLimits:
    """The order's hard limits at the chair: its total and, for IV, the rate ceiling."""
    ceiling = DEFAULT_DOSING_LIMITS.infusion.hard_max_mg_per_kg_per_h
    if order.route != Route.IV.value or not order.basis_weight_kg:
        return adm.SessionLimits(ordered_mg=order.dose_mg, sources=cite("S4"))
    return adm.SessionLimits(
        ordered_mg=order.dose_mg,
        max_mg_per_min=DEFAULT_DOSING_LIMITS.infusion.max_mg_per_min(order.basis_weight_kg),
        ceiling_mg_per_kg_per_h=ceiling.value,
        sources=ceiling.sources,
        needs_local_signoff=ceiling.needs_local_signoff,
    )


def hard_dose_limits(session: TreatmentSession) -> list[tuple[str, str, bool]]:
    """The hard dose limits of this session's route for the page: (what, value, needs sign-off)."""
    route = route_of(session)
    limits = DEFAULT_DOSING_LIMITS
    if route.is_esketamine:
        allowed = limits.esketamine.allowed_doses_mg
        return [("largest dose", f"{max(allowed.value)} mg", allowed.needs_local_signoff)]
    config = limits.for_route(route)
    found = [
        (
            "largest dose",
            f"{config.hard_max_mg_per_kg.value:g} mg/kg",
            config.hard_max_mg_per_kg.needs_local_signoff,
        )
    ]
    if config.hard_max_mg is not None:
        cap = config.hard_max_mg
        found.append(("mg cap", f"{cap.value:g} mg", cap.needs_local_signoff))
    if route is Route.IV:
        rate = limits.infusion.hard_max_mg_per_kg_per_h
        floor = limits.infusion.hard_min_minutes
        found.append(("fastest rate", f"{rate.value:g} mg/kg/h", rate.needs_local_signoff))
        found.append(("shortest infusion", f"{floor.value:g} min", floor.needs_local_signoff))
    return found


# ---------------------------------------------------------------------------- titration

_SEVERITY = {
    Severity.MILD: titration.Severity.MILD,
    Severity.MODERATE: titration.Severity.MODERATE,
    Severity.SEVERE: titration.Severity.SEVERE,
}


def _course_sessions_before(session: TreatmentSession) -> list[TreatmentSession]:
    return list(
        TreatmentSession.objects.filter(
            course_id=session.course_id,
            route=session.route,
            session_number__lt=session.session_number,
        )
        .exclude(pk=session.pk)
        .order_by("session_number", "pk")
    )


def supervised_dose(row: TreatmentSession) -> titration.SupervisedDose | None:
    """A held session as the titration core's supervised dose (None when nothing was given).

    The mg is what was delivered (the administration events, never a stored total); the day is
    the clinic day of the first dose; the signals are the session's own rows: worst side effect,
    highest BP and CADSS, lowest MOAA/S after the first dose.
    """
    record = record_of(row)
    first, end = record.first_dose_at, record.last_event_at
    if first is None or end is None:
        return None
    mg = adm.delivered_mg(record, end)
    if mg <= 0:
        return None
    worst = titration.Severity.NONE
    for severity in row.side_effects.values_list("severity", flat=True):
        worst = max(worst, _SEVERITY.get(Severity(severity), titration.Severity.NONE))
    after = list(row.vitals.filter(taken_at__gte=first))
    sbps = [v.sbp for v in after if v.sbp is not None]
    dbps = [v.dbp for v in after if v.dbp is not None]
    scales = InstrumentResponse.objects.filter(
        patient_id=row.patient_id,
        context_ref=f"session:{row.pk}",
        administered_at__gte=first,
        total__isnull=False,
    ).exclude(status=RecordStatus.ENTERED_IN_ERROR)
    cadss = [int(r.total) for r in scales if r.instrument == "cadss"]
    moaas = [int(r.total) for r in scales if r.instrument == "moaas"]
    return titration.SupervisedDose(
        on=local(first, row.patient.clinic).date(),
        mg=mg,
        worst_side_effect=worst,
        peak_sbp=max(sbps, default=None),
        peak_dbp=max(dbps, default=None),
        dissociation=max(cadss, default=None),
        sedation=min(moaas, default=None),
    )


def supervised_history(session: TreatmentSession) -> list[titration.SupervisedDose]:
    """The supervised doses of this course before this session, on the same route."""
    found = (supervised_dose(row) for row in _course_sessions_before(session))
    return [d for d in found if d is not None]


HomeIntakeProvider = Callable[[int], Sequence[tuple[date, float]]]
"""Given a patient's pk, the (clinic day, mg) of each dose they recorded taking at home."""

_home_intake: list[HomeIntakeProvider] = []


def register_home_intake(provider: HomeIntakeProvider) -> None:
    """The home dose diary (an app above this one) says what was taken at home: the titration's
    weekly ceiling counts it with the supervised doses."""
    if provider not in _home_intake:
        _home_intake.append(provider)


def home_intake(session: TreatmentSession) -> list[HomeDose]:
    """Doses the patient recorded at home (every registered provider), for the weekly total."""
    return [
        HomeDose(on, mg) for provider in _home_intake for on, mg in provider(session.patient_id)
    ]


def misuse_signals_open(session: TreatmentSession, today: date) -> bool:
    """Whether the course's held sessions raise a misuse indicator today (`clinical.misuse`)."""
    protocol = protocol_of(session)
    doses = []
    for row in [*_course_sessions_before(session), session]:
        placed = protocol.phase_of(row.session_number)
        spacing = None
        if placed is not None:
            phase = placed[0]
            spacing = Spacing(
                phase.code,
                phase.min_days_between_sessions.value,
                phase.sessions_per_period.value,
                phase.period_days.value,
            )
        given = supervised_dose(row) if row.pk != session.pk else None
        on = given.on if given else local(row.checked_in_at, row.patient.clinic).date()
        doses.append(MisuseDose(on, True, given.mg if given else None, spacing))
    return bool(assess_misuse(doses, today, home_doses=home_intake(session)).indicators)


def titration_proposal(
    session: TreatmentSession, now: datetime
) -> tuple[titration.TitrationRules, titration.Proposal] | None:
    """The titration rules of this session's protocol and the core's suggestion for today."""
    rules = protocol_of(session).titration()
    if rules is None:
        return None
    today = local(now, session.patient.clinic).date()
    proposal = titration.propose_next(
        rules,
        supervised_history(session),
        today,
        misuse_open=misuse_signals_open(session, today),
        home=home_intake(session),
    )
    return rules, proposal
