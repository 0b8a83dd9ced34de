"""Write generated histories into the database in bulk (COPY on PostgreSQL).

Why not through the services: the services rightly refuse back-dated charting (a session
is checked in, dosed and signed *now*, on the real clock), and one service call per row would
take days for millions of rows. So this writer inserts rows directly, filling the same fields
the services would (statuses, who recorded what and when, the core's scores, the order the
core would compute, a valid administration record, alerts acknowledged before signing), with
the recorded-at times of the history rather than "now".

What it does not write, and why:
- one audit event per row: reading or writing patient data is audited per action; a synthetic
  load is one action, so it writes ONE summary `AccessEvent` (channel cli) naming the clinic
  and the counts;
- simple-history rows for the big tables: patients and courses get their "created" history
  row (cheap, and the history pages show them); sessions, orders, events, vitals and
  responses do not (millions of rows that only say "created by the synthetic load");
- checklist answers and controlled-substance log lines: not needed for outcomes; the
  sessions are complete without them for every derived value Ketaflow shows.

Ids are allocated from the current maximum of each table (tables are locked on PostgreSQL
while writing) and the id sequences are moved past them afterwards. On PostgreSQL, rows go
in with `COPY ... FROM STDIN` (psycopg's `cursor.copy`); elsewhere with `executemany`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.roles import Role
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.dosing import DEFAULT_DOSING_LIMITS, body_mass_index
from ketaflow.clinical.protocols import builtin_protocols, protocol_to_dict
from ketaflow.clinical.routes import Route
from ketaflow.courses.models import Appointment, Chair, Course, PhaseChange, ProtocolVersion
from ketaflow.ops import freshness
from ketaflow.patients.models import Diagnosis, Measurement, Patient
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.synthetic.generator import SynthPatient, scored
from ketaflow.treatments.models import (
    AdministrationEvent,
    AlertAck,
    DischargeRecord,
    DoseOrder,
    SideEffect,
    SigningAttestation,
    TreatmentSession,
    VitalsReading,
)

HistoricalPatient = Patient.history.model
HistoricalCourse = Course.history.model

#: Parent tables first, so every foreign key points at a row already written.
TABLES: tuple[type[models.Model], ...] = (
    Patient,
    HistoricalPatient,
    Measurement,
    Diagnosis,
    Course,
    HistoricalCourse,
    PhaseChange,
    Appointment,
    TreatmentSession,
    DoseOrder,
    AdministrationEvent,
    VitalsReading,
    AlertAck,
    SideEffect,
    DischargeRecord,
    SigningAttestation,
    InstrumentResponse,
)
SYNTH_REASON = "Synthetic history (ketaflow synth)"
ACK_ACTION = "Seen; rechecked and prescriber informed."


class _Table:
    """One model's columns, defaults and a buffer of rows (as dicts keyed by attname)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.columns = [f.column for f in self.fields]
        self.pk = model._meta.pk.attname
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.defaults: dict[str, Any] = {}
        for f in self.fields:
            if f.has_default():
                self.defaults[f.attname] = f.get_default()
            elif f.null:
                self.defaults[f.attname] = None
            elif isinstance(f, models.CharField | models.TextField):
                self.defaults[f.attname] = ""
        self.rows: list[dict[str, Any]] = []
        self.next_id = 0
        self.written = 0

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def add(self, **values: Any) -> int:
        self.next_id += 1
        values[self.pk] = self.next_id
        self.rows.append(values)
        return self.next_id

    def tuples(self, vendor: str) -> Iterable[tuple[Any, ...]]:
        missing = object()
        for row in self.rows:
            out = []
            for name in self.attnames:
                value = row.get(name, missing)
                if value is missing:
                    if name not in self.defaults:
                        raise KeyError(f"{self.table}.{name} has no value and no default")
                    value = self.defaults[name]
                if name in self.json and vendor == "postgresql":
                    value = json.dumps(value)
                out.append(value)
            yield tuple(out)


@dataclass
class SynthStats:
    counts: dict[str, int] = field(default_factory=dict)
    generate_seconds: float = 0.0
    write_seconds: float = 0.0

    @property
    def total_seconds(self) -> float:
        return self.generate_seconds + self.write_seconds


class SynthWriter:
    """Buffers generated patients and flushes them table by table in batches."""

    def __init__(
        self,
        clinic: Clinic,
        *,
        batch_patients: int = 2000,
        skip_fk_checks: bool = False,
        staff: dict[str, User] | None = None,
    ) -> None:
        """`skip_fk_checks`: PostgreSQL superuser only (the benchmark): for this transaction,
        foreign-key triggers do not fire (`session_replication_role = replica`). Safe because
        the writer allocates every id itself under table locks; the tests load the same rows
        with the checks on."""
        self.clinic = clinic
        self.skip_fk_checks = skip_fk_checks and connection.vendor == "postgresql"
        self.batch = batch_patients
        self.vendor = connection.vendor
        self.tables = {m: _Table(m) for m in TABLES}
        self.staff = staff or synthetic_staff(clinic)
        self.versions = protocol_versions(clinic, self.staff["prescriber"])
        self.chairs: dict[int, int] = {
            i: c.pk
            for i, c in enumerate(
                Chair.objects.filter(clinic=clinic, name__startswith="Synthetic chair ").order_by(
                    "pk"
                )
            )
        }
        self.pending = 0
        self.stats = SynthStats()

    # -- ids ---------------------------------------------------------------------------

    def _reserve_ids(self) -> None:
        with connection.cursor() as cursor:
            for t in self.tables.values():
                cursor.execute(f'SELECT COALESCE(MAX("{t.pk}"), 0) FROM "{t.table}"')
                t.next_id = int(cursor.fetchone()[0])

    def _lock(self) -> None:
        if self.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            names = ", ".join(f'"{t.table}"' for t in self.tables.values())
            cursor.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
            if self.skip_fk_checks:
                cursor.execute("SET LOCAL session_replication_role = replica")

    def _reset_sequences(self) -> None:
        if self.vendor != "postgresql":
            return  # SQLite continues from the largest id by itself
        with connection.cursor() as cursor:
            for t in self.tables.values():
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{t.table}\"', '{t.pk}'), "
                    f'GREATEST((SELECT COALESCE(MAX("{t.pk}"), 0) FROM "{t.table}"), 1))'
                )

    # -- chairs ------------------------------------------------------------------------

    def _chair(self, index: int) -> int:
        if index not in self.chairs:
            for i in range(len(self.chairs), index + 1):
                chair = Chair.objects.create(
                    clinic=self.clinic,
                    name=f"Synthetic chair {i + 1:04d}",
                    active=False,  # history only: never offered for booking
                    notes="Synthetic history only (not bookable).",
                )
                self.chairs[i] = chair.pk
        return self.chairs[index]

    # -- rows --------------------------------------------------------------------------

    def add(self, p: SynthPatient) -> None:
        """Turn one generated patient into rows (flushed every `batch_patients`)."""
        t = self.tables
        nurse, prescriber = self.staff["nurse"].pk, self.staff["prescriber"].pk
        created = p.created_at or timezone.now()
        patient = {
            "clinic_id": self.clinic.pk,
            "mrn": p.mrn,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "date_of_birth": p.date_of_birth,
            "sex_at_birth": p.sex_at_birth,
            "can_become_pregnant": p.can_become_pregnant,
            "email": f"{p.mrn.lower()}@synthetic.example",
            "is_synthetic": True,
            "created_at": created,
            "created_by_id": prescriber,
        }
        pid = t[Patient].add(**patient)
        t[HistoricalPatient].add(
            id=pid,
            **dict(patient.items()),
            history_date=created,
            history_change_reason=SYNTH_REASON,
            history_type="+",
            history_user_id=prescriber,
        )
        for kind, value, unit in (("weight", p.weight_kg, "kg"), ("height", p.height_cm, "cm")):
            t[Measurement].add(
                patient_id=pid,
                recorded_at=created,
                recorded_by_id=nurse,
                kind=kind,
                value=value,
                entered_value=value,
                entered_unit=unit,
                measured_on=created.date(),
            )
        t[Diagnosis].add(
            patient_id=pid,
            recorded_at=created,
            recorded_by_id=prescriber,
            code=p.diagnosis,
            is_primary=True,
        )
        c = p.course
        version = self.versions[c.protocol_code]
        course = {
            "patient_id": pid,
            "protocol_version_id": version.pk,
            "phase": c.phase,
            "ended_reason": c.ended_reason,
            "ended_note": c.ended_note,
            "started_on": c.started_on,
            "created_by_id": prescriber,
            "created_at": c.phase_log[0].at,
        }
        cid = t[Course].add(**course)
        t[HistoricalCourse].add(
            id=cid,
            **course,
            history_date=c.phase_log[0].at,
            history_change_reason=SYNTH_REASON,
            history_type="+",
            history_user_id=prescriber,
        )
        for change in c.phase_log:
            t[PhaseChange].add(
                course_id=cid,
                from_phase=change.from_phase,
                to_phase=change.to_phase,
                at=change.at,
                by_id=prescriber,
                reason=change.reason,
            )
        session_ids: dict[int, int] = {}
        for s in c.sessions:
            chair = self._chair(s.chair_index)
            booked = s.arrives_at - timedelta(days=7)
            aid = t[Appointment].add(
                course_id=cid,
                chair_id=chair,
                starts_at=s.arrives_at,
                ends_at=s.ends_at,
                session_number=s.number,
                phase=s.phase_code,
                status="completed",
                created_by_id=nurse,
                created_at=booked,
            )
            writes = 2 + len(s.events) + len(s.vitals) + len(s.side_effects) + 2
            sid = t[TreatmentSession].add(
                clinic_id=self.clinic.pk,
                appointment_id=aid,
                course_id=cid,
                patient_id=pid,
                chair_id=chair,
                protocol_version_id=version.pk,
                route=s.order.route,
                session_number=s.number,
                status="signed",
                version=writes,
                updated_at=s.signed_at,
                updated_by_id=prescriber,
                checked_in_at=s.arrives_at,
                checked_in_by_id=nurse,
                signed_at=s.signed_at,
                signed_by_id=prescriber,
            )
            session_ids[s.number] = sid
            o = s.order
            weight = p.weight_kg if o.mg_per_kg is not None else None
            # Obesity likely: the basis is chosen explicitly, with a reason (core rule).
            choose = weight is not None and DEFAULT_DOSING_LIMITS.weight_basis.choice_required(
                weight, body_mass_index(weight, p.height_cm)
            )
            t[DoseOrder].add(
                session_id=sid,
                status="confirmed",
                route=o.route,
                mg_per_kg=o.mg_per_kg,
                weight_basis="actual" if weight is not None else "",
                weight_basis_reason="Actual body weight, as the trials dosed." if choose else "",
                max_dose_mg=DEFAULT_DOSING_LIMITS.max_dose_mg(Route(o.route)),
                actual_weight_kg=weight,
                basis_weight_kg=weight,
                dose_mg=o.dose_mg,
                concentration_mg_per_ml=o.concentration_mg_per_ml,
                minutes=o.minutes,
                rate_ml_per_h=o.rate_ml_per_h,
                mg_per_min=o.mg_per_min,
                warnings=[],
                notes=[],
                overrides=[],
                limits_version=DEFAULT_DOSING_LIMITS.version,
                proposed_by_id=prescriber,
                proposed_at=s.arrives_at + timedelta(minutes=20),
                confirmed_by_id=prescriber,
                confirmed_at=s.arrives_at + timedelta(minutes=20),
            )
            for e in s.events:
                t[AdministrationEvent].add(
                    session_id=sid,
                    kind=e.kind,
                    at=e.at,
                    rate_ml_per_h=e.rate_ml_per_h,
                    bolus_mg=e.bolus_mg,
                    note=e.note,
                    recorded_at=e.at,
                    recorded_by_id=nurse,
                )
            acked: list[dict[str, Any]] = []
            for v in s.vitals:
                rid = t[VitalsReading].add(
                    session_id=sid,
                    taken_at=v.taken_at,
                    sbp=v.sbp,
                    dbp=v.dbp,
                    hr=v.hr,
                    spo2=v.spo2,
                    rr=v.rr,
                    recorded_at=v.taken_at,
                    recorded_by_id=nurse,
                )
                for code in v.ack_codes:
                    t[AlertAck].add(
                        reading_id=rid,
                        code=code,
                        note=ACK_ACTION,
                        by_id=nurse,
                        at=v.taken_at + timedelta(minutes=3),
                    )
                    acked.append(
                        {
                            "group": "alerts",
                            "kind": "alert",
                            "label": "Alert",
                            "code": code,
                            "message": code,
                            "at": v.taken_at.isoformat(),
                            "reason": ACK_ACTION,
                            "by": str(self.staff["nurse"]),
                            "reason_missing": False,
                            "sources": [],
                        }
                    )
            for se in s.side_effects:
                t[SideEffect].add(
                    session_id=sid,
                    kind=se.kind,
                    severity=se.severity,
                    onset_at=se.onset_at,
                    resolved_at=se.resolved_at,
                    recorded_at=se.onset_at,
                    recorded_by_id=nurse,
                )
            t[DischargeRecord].add(
                session_id=sid,
                aldrete_score=10,
                padss_score=10,
                dissociation_resolved=True,
                escort_present=True,
                told_not_to_drive=True,
                overrides=[],
                discharged_at=s.discharged_at,
                recorded_by_id=nurse,
                recorded_at=s.discharged_at,
            )
            if acked:  # signing with alerts needs the prescriber's attestation, as the service
                t[SigningAttestation].add(
                    session_id=sid,
                    text=f"Alerts reviewed with the actions taken. {SYNTH_REASON}",
                    exceptions=acked,
                    by_id=prescriber,
                    at=s.signed_at,
                )
        for r in p.responses:
            score = scored(r.instrument, r.answers)
            sid_ref = session_ids.get(r.session_number) if r.session_number else None
            t[InstrumentResponse].add(
                patient_id=pid,
                recorded_at=r.administered_at,
                recorded_by_id=nurse,
                instrument=r.instrument,
                answers=list(r.answers),
                rater="self",
                administered_at=r.administered_at,
                context=r.context,
                context_ref=f"session:{sid_ref}" if sid_ref else "",
                **score,
            )
        self.pending += 1
        if self.pending >= self.batch:
            self.flush()

    # -- writing -----------------------------------------------------------------------

    def flush(self) -> None:
        if not self.pending:
            return
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for t in self.tables.values():
                if not t.rows:
                    continue
                if self.vendor == "postgresql":
                    cols = ", ".join(f'"{c}"' for c in t.columns)
                    raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                    with raw.copy(f'COPY "{t.table}" ({cols}) FROM STDIN') as copy:
                        for row in t.tuples(self.vendor):
                            copy.write_row(row)
                else:
                    cols = ", ".join(f'"{c}"' for c in t.columns)
                    marks = ", ".join(["%s"] * len(t.columns))
                    prep = [(lambda v, f=f: f.get_db_prep_save(v, connection)) for f in t.fields]
                    cursor.executemany(
                        f'INSERT INTO "{t.table}" ({cols}) VALUES ({marks})',
                        [
                            tuple(p(v) for p, v in zip(prep, row, strict=True))
                            for row in t.tuples(self.vendor)
                        ],
                    )
                t.written += len(t.rows)
                t.rows.clear()
        freshness.wrote(connection)  # COPY goes past Django's cursors: pages must know
        self.pending = 0
        self.stats.write_seconds += time.perf_counter() - started

    def run(
        self, patients: Iterable[SynthPatient], progress: Callable[[int], None] | None = None
    ) -> SynthStats:
        """Write every patient in one transaction; one summary audit event at the end."""
        with transaction.atomic():
            self._lock()
            self._reserve_ids()
            started = time.perf_counter()
            for n, p in enumerate(patients, start=1):
                self.add(p)
                if progress and n % 10000 == 0:
                    progress(n)
            self.flush()
            # generating and turning into rows = everything that was not the database write
            self.stats.generate_seconds = time.perf_counter() - started - self.stats.write_seconds
            self._reset_sequences()
            self.stats.counts = {t.model._meta.label: t.written for t in self.tables.values()}
            record_event(
                actor=self.staff["prescriber"],
                action=Action.CREATE,
                clinic_id=self.clinic.pk,
                actor_label="ketaflow synth",
                detail={
                    "synthetic_load": True,
                    "reason": SYNTH_REASON,
                    "counts": self.stats.counts,
                },
            )
        return self.stats


# ---------------------------------------------------------------------------- setup


def synthetic_clinic(name: str, *, timezone_name: str = "Europe/London") -> Clinic:
    """The named synthetic clinic (created if missing); refuses a real clinic of that name."""
    from django.utils.text import slugify

    slug = slugify(name)[:60] or "synthetic"
    clinic, _ = Clinic.objects.get_or_create(
        slug=slug, defaults={"name": name, "timezone": timezone_name, "is_synthetic": True}
    )
    if not clinic.is_synthetic:
        raise RuntimeError(f"Clinic {clinic.slug!r} is not synthetic: refusing to write into it.")
    return clinic


def synthetic_staff(clinic: Clinic) -> dict[str, User]:
    """The made-up nurse and prescriber who 'recorded' the synthetic rows (cannot sign in)."""
    staff = {}
    for role in (Role.NURSE, Role.PRESCRIBER):
        username = f"synth-{role}-{clinic.pk}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                clinic=clinic,
                role=role,
                first_name="Synthetic",
                last_name=str(role).capitalize(),
                is_active=False,
            )
            user.set_unusable_password()
            user.save()
        staff[str(role)] = user
    return staff


def protocol_versions(clinic: Clinic, actor: User) -> dict[str, ProtocolVersion]:
    """Version 1 of each built-in protocol in the clinic (adopted if missing)."""
    found: dict[str, ProtocolVersion] = {}
    for code, protocol in builtin_protocols().items():
        row = ProtocolVersion.objects.filter(clinic=clinic, code=code).order_by("-version").first()
        if row is None:
            row = ProtocolVersion.objects.create(
                clinic=clinic,
                code=code,
                version=protocol.version,
                name=protocol.name,
                route=protocol.route.value,
                data=protocol_to_dict(protocol),
                created_by=actor,
                change_reason="Adopted the built-in protocol (synthetic clinic).",
            )
        found[code] = row
    return found
