"""Filling the REMS record from a session's rows, one part of the form at a time.

Ketaflow never asks for these values again: each step reads one part of the form from what
was charted and notes in `missing` every field it cannot fill, rather than guessing. The steps
run in the form's order, which is the order the missing fields are printed in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.clinical.monitoring import is_sedated
from ketaflow.clinical.routes import Route
from ketaflow.lib.clock import clinic_zone, local
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.treatments import derive
from ketaflow.treatments.models import SessionStatus, SideEffectKind, TreatmentSession
from ketaflow.treatments.rems.form import (
    FORM_VERSION,
    Administration,
    AdverseEvent,
    Finding,
    Missing,
    NotApplicable,
    RemsForm,
    TimedScore,
    TimedVitals,
)
from ketaflow.treatments.rems.rows import SessionRows, gather
from ketaflow.treatments.rems.rules import (
    BP_40_TARGET_MIN,
    BP_40_WINDOW_MIN,
    CONCOMITANT,
    LABEL_DOSES_MG,
    MG_PER_DEVICE,
    RESPIRATORY_CODES,
    dose_choice,
    minutes_between,
    nearest,
    resolution,
)


def assemble(session: TreatmentSession, *, now: datetime | None = None) -> RemsForm:
    """Every field of the record from the session's rows; what cannot be filled is listed."""
    require_esketamine(session)
    now = now or timezone.now()
    rows = gather(session)
    missing: list[Missing] = []
    first_treatment, concomitant = _patient(rows, missing)
    people = _people(rows, missing)
    dose = _dose(rows, missing)
    vitals = _vital_signs(rows, missing)
    moaas, sedation = _sedation(rows, missing)
    cadss, dissociation = _dissociation(rows, missing)
    respiratory, pulse_oximetry = _respiratory_depression(rows, missing)
    ready_at = _ready_to_leave(rows, (sedation, dissociation, respiratory), missing)
    total = _monitoring_time(rows, missing)
    return _form(
        rows,
        now=now,
        first_treatment=first_treatment,
        concomitant=concomitant,
        people=people,
        dose=dose,
        vitals=vitals,
        moaas=moaas,
        cadss=cadss,
        sedation=sedation,
        dissociation=dissociation,
        respiratory=respiratory,
        pulse_oximetry=pulse_oximetry,
        ready_at=ready_at,
        total=total,
        missing=missing,
    )


def require_esketamine(session: TreatmentSession) -> None:
    """Raise NotApplicable unless `session` is esketamine nasal spray (the only REMS route)."""
    if derive.route_of(session) is not Route.INTRANASAL:
        raise NotApplicable(
            f"The REMS monitoring form is for esketamine nasal spray only; this session's "
            f"route is {derive.route_of(session).label}."
        )


# ---------------------------------------------------------------------------- patient


def _patient(
    rows: SessionRows, missing: list[Missing]
) -> tuple[bool, tuple[tuple[str, bool], ...] | None]:
    """(first esketamine session here?, concomitant medicines taken today or None)."""
    answers = rows.answers
    concomitant = (
        tuple((label, code in answers.taken_today) for code, label in CONCOMITANT)
        if answers is not None
        else None
    )
    if concomitant is None:
        missing.append(
            Missing("Concomitant medicines", "The pre-session checklist was not completed.")
        )
    missing.append(
        Missing(
            "Patient enrolled in the SPRAVATO REMS",
            "Ketaflow does not record REMS enrolment: confirm it in the REMS portal.",
        )
    )
    return rows.first_treatment, concomitant


# ---------------------------------------------------------------------------- people


@dataclass(frozen=True)
class _People:
    prescriber: User | None  # who confirmed the dose order
    staff: tuple[str, ...]  # who charted, most entries first
    email: str  # the monitoring nurse's (the one who charted most)


def _names(users: Iterable[User | None]) -> tuple[str, ...]:
    counts = Counter(u for u in users if u is not None)
    return tuple(str(u) for u, _ in counts.most_common())


def _people(rows: SessionRows, missing: list[Missing]) -> _People:
    prescriber = rows.order.confirmed_by if rows.order is not None else None
    if prescriber is None:
        missing.append(Missing("Prescriber", "No prescriber confirmed a dose order."))
    staff_rows: list[User | None] = list(rows.vitals_recorders)
    staff_rows += [e.recorded_by for e in rows.boluses]
    staff = _names(staff_rows) or _names([rows.session.checked_in_by])
    lead = next(iter(Counter(u for u in staff_rows if u is not None).most_common(1)), None)
    email = lead[0].email if lead is not None else ""
    if not email:
        missing.append(
            Missing("Monitoring HCP email", "No email on the monitoring nurse's account.")
        )
    missing.append(Missing("Monitoring HCP phone", "Ketaflow does not store staff phone numbers."))
    missing.append(
        Missing("Healthcare setting address", "Ketaflow does not store the clinic's address.")
    )
    return _People(prescriber, staff, email)


# ---------------------------------------------------------------------------- dose


@dataclass(frozen=True)
class _Dose:
    mg: float | None  # ordered
    administrations: tuple[Administration, ...]
    delivered_mg: float
    lot: str


def _dose(rows: SessionRows, missing: list[Missing]) -> _Dose:
    dose = rows.order.dose_mg if rows.order is not None else None
    if dose is None:
        missing.append(Missing("Dose", "No confirmed dose order."))
    administrations = tuple(
        Administration(local(e.at, rows.clinic), e.bolus_mg) for e in rows.boluses
    )
    if not administrations:
        missing.append(Missing("Time of dose administration", "No device use was recorded."))
    delivered = sum(e.bolus_mg or 0 for e in rows.boluses)
    lot = rows.cs_entry.lot if rows.cs_entry is not None else ""
    if not lot:
        missing.append(Missing("Lot number", "No controlled-substance log entry with a lot."))
    return _Dose(dose, administrations, delivered, lot)


# ---------------------------------------------------------------------------- vital signs


def _point(rows: SessionRows, label: str, view: derive.ReadingView | None) -> TimedVitals:
    if view is None:
        return TimedVitals(label)
    r = view.reading
    return TimedVitals(
        label,
        at=rows.loc(r.taken_at),
        minutes_after_dose=rows.after(r.taken_at),
        sbp=r.sbp,
        dbp=r.dbp,
        hr=r.hr,
        spo2=r.spo2,
        rr=r.rr,
        alerts=tuple(a.message for a in view.alerts),
    )


def _vital_signs(
    rows: SessionRows, missing: list[Missing]
) -> tuple[TimedVitals, TimedVitals, TimedVitals]:
    """The form's three points: before dosing, ~40 minutes after, before discharge."""
    first, left = rows.first, rows.left
    with_bp = [v for v in rows.readings if v.reading.sbp is not None and v.reading.dbp is not None]
    pre = [v for v in with_bp if first is None or v.reading.taken_at <= first]
    base = pre[-1] if pre and first is not None else None
    post = [v for v in with_bp if first is not None and v.reading.taken_at > first]
    mid = None
    if first is not None:
        i = nearest(
            [v.reading.taken_at for v in post],
            first + timedelta(minutes=BP_40_TARGET_MIN),
            timedelta(minutes=BP_40_WINDOW_MIN),
        )
        mid = post[i] if i is not None else None
    end_candidates = [v for v in post if left is None or v.reading.taken_at <= left]
    end = end_candidates[-1] if end_candidates and left is not None else None
    if end is not None and mid is not None and end.reading.pk == mid.reading.pk:
        end = None  # one reading cannot be both the 40-minute and the pre-discharge reading
    vitals = (
        _point(rows, "Before dosing", base),
        _point(rows, "About 40 minutes after dosing", mid),
        _point(rows, "Before discharge", end),
    )
    for v, why in zip(
        vitals,
        (
            "No blood pressure was recorded before the first device.",
            f"No blood pressure was recorded {BP_40_TARGET_MIN - BP_40_WINDOW_MIN}-"
            f"{BP_40_TARGET_MIN + BP_40_WINDOW_MIN} minutes after the first device.",
            "No blood pressure was recorded after dosing and before discharge"
            if left is not None
            else "The patient has not been discharged.",
        ),
        strict=True,
    ):
        if not v.found:
            missing.append(Missing(f"Blood pressure: {v.label.lower()}", why))
    return vitals


# ------------------------------------- sedation, dissociation, respiratory depression


def _timed(
    rows: SessionRows, responses: list[InstrumentResponse], code: str
) -> tuple[TimedScore, ...]:
    return tuple(
        TimedScore(
            code, r.total, local(r.administered_at, rows.clinic), rows.after(r.administered_at)
        )
        for r in responses
        if r.total is not None
    )


def _sedation(rows: SessionRows, missing: list[Missing]) -> tuple[tuple[TimedScore, ...], Finding]:
    """Sedation: a MOAA/S below fully alert after dosing."""
    moaas = _timed(rows, rows.moaas_after, "MOAA/S")
    sedated, resolved = resolution([(s.at, is_sedated(s.value)) for s in moaas])
    sedation = Finding(
        sedated,
        tuple(f"MOAA/S {s.value} at {s.at:%H:%M}" for s in moaas if is_sedated(s.value)),
        resolved,
    )
    if sedated is None:
        missing.append(Missing("Sedation (MOAA/S)", "No MOAA/S was recorded after dosing."))
    return moaas, sedation


def _dissociation(
    rows: SessionRows, missing: list[Missing]
) -> tuple[tuple[TimedScore, ...], Finding]:
    """Dissociation: a CADSS above the pre-dose score, or dissociation charted as a side effect."""
    cadss_base = next((r.total for r in reversed(rows.cadss_before) if r.total is not None), 0)
    cadss = _timed(rows, rows.cadss_after, "CADSS")
    dissociated, resolved = resolution([(s.at, s.value > cadss_base) for s in cadss])
    charted = [e for e in rows.side_effects if e.kind == SideEffectKind.DISSOCIATION]
    evidence = [f"CADSS {s.value} at {s.at:%H:%M}" for s in cadss if s.value > cadss_base]
    evidence += [f"Dissociation charted at {rows.loc(e.onset_at):%H:%M}" for e in charted]
    if charted:
        dissociated = True
        ends = [e.resolved_at for e in charted]
        if all(ends):
            latest_end = rows.loc(max(ends))  # type: ignore[type-var]
            if resolved is None or (latest_end is not None and latest_end > resolved):
                resolved = latest_end
    dissociation = Finding(dissociated, tuple(evidence), resolved)
    if dissociated is None:
        missing.append(
            Missing("Dissociation (CADSS)", "No CADSS or dissociation was charted after dosing.")
        )
    return cadss, dissociation


def _respiratory_depression(rows: SessionRows, missing: list[Missing]) -> tuple[Finding, bool]:
    """(respiratory depression from SpO2 / RR alerts after dosing, pulse oximetry used?)."""
    clinic = rows.clinic
    post_all = rows.readings_after_dose
    oximetry = [v for v in post_all if v.reading.spo2 is not None or v.reading.rr is not None]
    resp_flags = [
        (
            local(v.reading.taken_at, clinic),
            any(a.code.startswith(RESPIRATORY_CODES) for a in v.alerts),
        )
        for v in oximetry
    ]
    resp, resp_resolved = resolution(resp_flags)
    respiratory = Finding(
        resp,
        tuple(
            f"{a.message} ({local(v.reading.taken_at, clinic):%H:%M})"
            for v in oximetry
            for a in v.alerts
            if a.code.startswith(RESPIRATORY_CODES)
        ),
        resp_resolved,
    )
    pulse_oximetry = any(v.reading.spo2 is not None for v in post_all)
    if resp is None:
        missing.append(
            Missing("Respiratory depression", "No SpO2 or respiratory rate after dosing.")
        )
    return respiratory, pulse_oximetry


# ---------------------------------------------------------------------------- adverse events


def _adverse_events(rows: SessionRows) -> tuple[AdverseEvent, ...]:
    return tuple(
        AdverseEvent(
            e.label,
            e.get_severity_display(),
            local(e.onset_at, rows.clinic),
            rows.loc(e.resolved_at),
        )
        for e in rows.side_effects
    )


def _rescues(rows: SessionRows) -> tuple[str, ...]:
    return tuple(
        f"{r.drug} {r.dose} {r.route} at {rows.loc(r.given_at):%H:%M}" for r in rows.rescues
    )


# ---------------------------------------------------------------------------- leaving


def _ready_to_leave(
    rows: SessionRows,
    findings: tuple[Finding, Finding, Finding],
    missing: list[Missing],
) -> datetime | None:
    """Ready to leave (without the 2-hour rule): when sedation, dissociation and respiratory
    depression had resolved and the vitals no longer raised alerts."""
    sedation, dissociation, respiratory = findings
    vitals_flags = [
        (local(v.reading.taken_at, rows.clinic), bool(v.alerts)) for v in rows.readings_after_dose
    ]
    _, vitals_settled = resolution(vitals_flags)
    parts = {
        "sedation (MOAA/S)": sedation.resolved_at,
        "dissociation (CADSS)": dissociation.resolved_at,
        "respiratory status": respiratory.resolved_at,
        "vital signs": vitals_settled,
    }
    if rows.last is not None and all(parts.values()):
        return max([rows.loc(rows.last), *parts.values()])  # type: ignore[type-var]
    unknown = ", ".join(k for k, v in parts.items() if v is None)
    missing.append(
        Missing(
            "Ready to leave (without the 2-hour minimum)",
            f"Not shown by the record: {unknown or 'no device use'} not recorded as resolved.",
        )
    )
    return None


def _monitoring_time(rows: SessionRows, missing: list[Missing]) -> int | None:
    """Minutes from the first device use to discharge; notes the escort if not discharged."""
    total = minutes_between(rows.first, rows.left)
    if total is None:
        missing.append(
            Missing(
                "Total monitoring time",
                "Needs the first device use and the discharge time.",
            )
        )
    if rows.discharge is None:
        missing.append(Missing("Escort and driving advice", "The patient has not been discharged."))
    return total


def _submitted(rows: SessionRows) -> str:
    """ "who at when (reference)" once the official form is marked submitted."""
    sub = rows.submission
    if sub is None:
        return ""
    return f"{sub.submitted_by} at {local(sub.submitted_at, rows.clinic):%d %b %Y %H:%M}" + (
        f" (reference {sub.reference})" if sub.reference else ""
    )


# ---------------------------------------------------------------------------- the form


def _form(
    rows: SessionRows,
    *,
    now: datetime,
    first_treatment: bool,
    concomitant: tuple[tuple[str, bool], ...] | None,
    people: _People,
    dose: _Dose,
    vitals: tuple[TimedVitals, TimedVitals, TimedVitals],
    moaas: tuple[TimedScore, ...],
    cadss: tuple[TimedScore, ...],
    sedation: Finding,
    dissociation: Finding,
    respiratory: Finding,
    pulse_oximetry: bool,
    ready_at: datetime | None,
    total: int | None,
    missing: list[Missing],
) -> RemsForm:
    session, patient, clinic, discharge = rows.session, rows.patient, rows.clinic, rows.discharge
    first = rows.first
    return RemsForm(
        version=FORM_VERSION,
        generated_at=local(now, clinic),
        draft=session.status != SessionStatus.SIGNED,
        session_pk=session.pk,
        synthetic=clinic.is_synthetic,
        clinic_name=clinic.name,
        zone=str(clinic_zone(clinic)),
        prescriber=str(people.prescriber) if people.prescriber else "",
        signed_by=str(session.signed_by) if session.signed_by_id else "",
        signed_at=rows.loc(session.signed_at),
        monitoring_staff=people.staff,
        monitoring_email=people.email,
        patient_name=patient.full_name,
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.get_sex_at_birth_display(),
        mrn=patient.mrn,
        first_treatment=first_treatment,
        concomitant=concomitant,
        session_date=local(first or session.checked_in_at, clinic).date(),
        session_number=session.session_number,
        dose_mg=dose.mg,
        dose_choice=dose_choice(dose.mg),
        devices=int(dose.mg // MG_PER_DEVICE) if dose.mg in LABEL_DOSES_MG else None,
        delivered_mg=dose.delivered_mg,
        lot=dose.lot,
        administrations=dose.administrations,
        first_device_at=rows.loc(first),
        last_device_at=rows.loc(rows.last),
        vitals=vitals,
        moaas=moaas,
        cadss=cadss,
        sedation=sedation,
        dissociation=dissociation,
        respiratory_depression=respiratory,
        pulse_oximetry=pulse_oximetry,
        adverse_events=_adverse_events(rows),
        rescues=_rescues(rows),
        ready_to_leave_at=ready_at,
        ready_to_leave_minutes=minutes_between(rows.loc(first), ready_at),
        discharged_at=rows.loc(rows.left),
        total_monitoring_minutes=total,
        escort_present=discharge.escort_present if discharge is not None else None,
        told_not_to_drive=discharge.told_not_to_drive if discharge is not None else None,
        missing=tuple(missing),
        submitted=_submitted(rows),
    )
