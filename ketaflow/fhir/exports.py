"""Writing a whole clinic to a zip: FHIR NDJSON (one file per resource type) or flat CSVs.

Each patient is loaded, mapped once (the same `patient_resources` as every other FHIR edge)
and appended to per-type (or per-table) files in a scratch directory; the zip is assembled
at the end and moved into place, so a half-written export is never served. CSV cells that a
spreadsheet would run as a formula (= + - @ at the start of text) are prefixed with '.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings

from ketaflow.fhir import ids
from ketaflow.fhir.bundle import EXPORTED_TYPES
from ketaflow.fhir.derive import PatientRecord
from ketaflow.fhir.models import ExportJob, JobStatus
from ketaflow.fhir.resources_common import instant, to_json
from ketaflow.fhir.resources_sessions import delivered_total, dose_completed_at

CSV_TABLES: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id", "mrn", "given_name", "family_name", "date_of_birth", "sex_at_birth"),
    "diagnoses": ("patient_id", "mrn", "icd10", "description", "primary", "onset", "status"),
    "medications": (
        "patient_id",
        "mrn",
        "name",
        "dose",
        "classes",
        "started_on",
        "stopped_on",
        "status",
    ),
    "sessions": (
        "session_id",
        "patient_id",
        "mrn",
        "session_number",
        "route",
        "status",
        "checked_in_at",
        "first_dose_at",
        "dose_completed_at",
        "discharged_at",
        "protocol",
        "delivered_mg",
    ),
    "doses": (
        "administration_id",
        "session_id",
        "patient_id",
        "mrn",
        "status",
        "start",
        "end",
        "dose_mg",
        "rate_mg_per_min",
        "route",
        "lot",
    ),
    "vitals": (
        "source",
        "session_id",
        "patient_id",
        "mrn",
        "taken_at",
        "sbp",
        "dbp",
        "hr",
        "spo2",
        "rr",
    ),
    "scores": (
        "response_id",
        "patient_id",
        "mrn",
        "instrument",
        "administered_at",
        "context",
        "total",
        "severity",
        "risk_level",
        "status",
    ),
}


def export_dir() -> Path:
    configured = getattr(settings, "KETAFLOW_EXPORT_DIR", None)
    path = Path(configured) if configured else Path(settings.BASE_DIR) / "var" / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_file(job: ExportJob) -> Path | None:
    """A finished export job's file, only ever inside the export directory; None if gone."""
    if job.status != JobStatus.DONE or not job.file_path:
        return None
    path = Path(job.file_path).resolve()
    if export_dir().resolve() not in path.parents or not path.is_file():
        return None
    return path


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _t(value: datetime | None) -> str:
    return instant(value) if value else ""


def csv_rows(
    record: PatientRecord, resources: list[Any], now: datetime
) -> dict[str, list[list[Any]]]:
    """The flat rows of one patient, per table."""
    p = record.patient
    pid = ids.make("pat", p.pk)
    rows: dict[str, list[list[Any]]] = {name: [] for name in CSV_TABLES}
    rows["patients"].append(
        [pid, p.mrn, p.given_name, p.family_name, p.date_of_birth.isoformat(), p.sex_at_birth]
    )
    for d in record.diagnoses:
        rows["diagnoses"].append(
            [pid, p.mrn, d.icd10, d.description, d.is_primary, d.onset or "", d.status]
        )
    for m in record.medications:
        rows["medications"].append(
            [
                pid,
                p.mrn,
                m.name,
                m.dose,
                ";".join(m.classes),
                m.started_on or "",
                m.stopped_on or "",
                m.status,
            ]
        )
    for s in record.sessions:
        session = s.session
        delivered = delivered_total(s, now)
        rows["sessions"].append(
            [
                ids.make("enc", session.pk),
                pid,
                p.mrn,
                session.session_number,
                session.route,
                session.status,
                _t(session.checked_in_at),
                _t(s.administration.first_dose_at if s.administration else None),
                _t(dose_completed_at(s)),
                _t(s.discharge.discharged_at if s.discharge else None),
                f"{session.protocol_version.name} v{session.protocol_version.version}",
                round(delivered, 2) if delivered is not None else "",
            ]
        )
        for reading in s.vitals:
            rows["vitals"].append(
                [
                    "session",
                    ids.make("enc", session.pk),
                    pid,
                    p.mrn,
                    _t(reading.taken_at),
                    reading.sbp,
                    reading.dbp,
                    reading.hr,
                    reading.spo2,
                    reading.rr,
                ]
            )
    for o in record.resting_bps:
        rows["vitals"].append(
            ["screening", "", pid, p.mrn, _t(o.observed_at), o.systolic, o.diastolic, "", "", ""]
        )
    for data in (to_json(r) for r in resources):
        if data["resourceType"] != "MedicationAdministration":
            continue
        period = data.get("effectivePeriod", {})
        dosage = data.get("dosage", {})
        drug = data["contained"][0]
        rows["doses"].append(
            [
                data["id"],
                data["context"]["reference"].split("/", 1)[1],
                pid,
                p.mrn,
                data["status"],
                period.get("start", data.get("effectiveDateTime", "")),
                period.get("end", ""),
                dosage.get("dose", {}).get("value", ""),
                dosage.get("rateQuantity", {}).get("value", ""),
                dosage["route"]["coding"][0]["display"],
                drug.get("batch", {}).get("lotNumber", ""),
            ]
        )
    for r in record.responses:
        rows["scores"].append(
            [
                ids.make("qr", r.pk),
                pid,
                p.mrn,
                r.instrument,
                _t(r.administered_at),
                r.context,
                r.total if r.total is not None else "",
                r.severity,
                r.risk_level,
                r.status,
            ]
        )
    return rows


class ClinicWriter:
    """Appends patients to per-type files in a scratch directory, then zips them."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self._scratch = tempfile.TemporaryDirectory(prefix="ketaflow-export-")
        self._files: dict[str, TextIO] = {}
        self._writers: dict[str, Any] = {}
        root = Path(self._scratch.name)
        if fmt == "csv":
            for name, header in CSV_TABLES.items():
                handle = (root / f"{name}.csv").open("w", newline="", encoding="utf-8")
                self._files[name] = handle
                writer = csv.writer(handle)
                writer.writerow(header)
                self._writers[name] = writer
        else:
            for kind in EXPORTED_TYPES:
                self._files[kind] = (root / f"{kind}.ndjson").open("w", encoding="utf-8")
        self._questionnaires: set[str] = set()

    def add(self, record: PatientRecord, resources: list[Any], now: datetime) -> None:
        if self.fmt == "csv":
            for name, rows in csv_rows(record, resources, now).items():
                self._writers[name].writerows([[_safe(c) for c in row] for row in rows])
            return
        for resource in resources:
            data = to_json(resource)
            kind = data["resourceType"]
            if kind == "Questionnaire":  # shared by patients: once per clinic file
                if data["id"] in self._questionnaires:
                    continue
                self._questionnaires.add(data["id"])
            self._files[kind].write(json.dumps(data, separators=(",", ":")) + "\n")

    def finish(self, target: Path) -> int:
        """Zip every file into `target` (atomically) and return its size in bytes."""
        for handle in self._files.values():
            handle.close()
        # A partial file of its own (two attempts at one job never share one), renamed into
        # place in one step: the target is either absent or complete.
        fd, name = tempfile.mkstemp(prefix=f"{target.stem}-", suffix=".partial", dir=target.parent)
        os.close(fd)
        partial = Path(name)
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(Path(self._scratch.name).iterdir()):
                    archive.write(path, arcname=path.name)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        self.close()
        return target.stat().st_size

    def close(self) -> None:
        for handle in self._files.values():
            if not handle.closed:
                handle.close()
        self._scratch.cleanup()


def write_clinic(
    fmt: str,
    patients: Iterable[Any],
    load: Callable[[Any], tuple[PatientRecord, list[Any]]],
    target: Path,
    now: datetime,
    progress: Callable[[Any], None],
) -> int:
    """Write every patient; `progress(patient)` after each (audit, heartbeat, counters)."""
    writer = ClinicWriter(fmt)
    try:
        for patient in patients:
            record, resources = load(patient)
            writer.add(record, resources, now)
            progress(patient)
        return writer.finish(target)
    finally:
        writer.close()
