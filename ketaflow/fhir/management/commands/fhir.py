"""`ketaflow fhir export|import`: FHIR R4B from the command line.

    ketaflow fhir export --patient MRN --clinic CLINIC --output FILE.json [--type searchset]
    ketaflow fhir export --all --clinic CLINIC --output DIRECTORY
    ketaflow fhir import --input FILE --as USERNAME
    ketaflow fhir audit-events --clinic CLINIC --since DATE [--until DATE] --output FILE.ndjson

`--clinic` is the clinic's id, slug or name. `--all` writes one Bundle file per patient into
DIRECTORY, named `<MRN>.json`. Every patient exported is audited (action export, channel
cli), as the operator's OS account unless `--as USERNAME` names a member of staff.

`import` reads one QuestionnaireResponse (JSON) or several (NDJSON, one per line) and stores
them as the staff member `--as` (who needs edit_clinical in the patient's clinic). It is all
or nothing: if any response is refused, none is stored, and every problem is printed with
the line and the element at fault. Exit status: 0 done, 2 refused/invalid input.

`audit-events` writes the clinic's audit trail from DATE (inclusive) to --until (exclusive;
default: now) as FHIR AuditEvents following IHE Basic Audit Log Patterns, one per line
(NDJSON), in the order they were recorded; the export is itself audited (#15).
"""

from __future__ import annotations

import getpass
import json
import re
from datetime import date, time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.audit import context
from ketaflow.audit.models import AccessEvent, Action
from ketaflow.audit.services import record_event
from ketaflow.fhir import derive
from ketaflow.fhir.bundle import bundle, patient_resources
from ketaflow.fhir.importing import parse_json
from ketaflow.fhir.outcome import FhirProblem
from ketaflow.fhir.resources_audit import audit_event_data
from ketaflow.fhir.resources_common import to_json
from ketaflow.fhir.selectors import audit_export
from ketaflow.fhir.services import import_questionnaire_response
from ketaflow.lib.clock import at_clinic
from ketaflow.patients.models import Patient

USAGE_ERROR = 2


class _Refused(Exception):
    """Raised inside the import transaction to roll every response back."""


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=USAGE_ERROR)


def _clinic(value: str) -> Clinic:
    query = Q(slug=value) | Q(name__iexact=value)
    if value.isdigit():
        query |= Q(pk=int(value))
    found = list(Clinic.objects.filter(query)[:2])
    if len(found) != 1:
        raise _fail(f"No single clinic matches {value!r} (give its id, slug or name).")
    return found[0]


def _user(username: str | None, clinic: Clinic | None = None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise _fail(f"No active user {username!r}.")
    if clinic is not None and user.clinic_id != clinic.pk:
        raise _fail(f"{username} is not a member of {clinic.name}.")
    return user


class Command(BaseCommand):
    help = "Export patients as FHIR R4B Bundles, or import QuestionnaireResponses."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write Bundles of patients' records.")
        who = export.add_mutually_exclusive_group(required=True)
        who.add_argument("--patient", metavar="MRN", help="One patient, by MRN.")
        who.add_argument("--all", action="store_true", help="Every patient of the clinic.")
        export.add_argument("--clinic", required=True, help="Clinic id, slug or name.")
        export.add_argument("--output", required=True, help="A file (--patient) or directory.")
        export.add_argument(
            "--type", default="collection", choices=("collection", "searchset"), dest="kind"
        )
        export.add_argument("--as", dest="as_user", help="Audit as this member of staff.")
        trail = sub.add_parser("audit-events", help="The audit trail as FHIR AuditEvents.")
        trail.add_argument("--clinic", required=True, help="Clinic id, slug or name.")
        trail.add_argument("--since", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        trail.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD, exclusive")
        trail.add_argument("--output", required=True, help="An NDJSON file.")
        imp = sub.add_parser("import", help="Import QuestionnaireResponses (GAD-7, PHQ-9).")
        imp.add_argument("--input", required=True, help="A JSON or NDJSON file.")
        imp.add_argument("--as", dest="as_user", required=True, help="The staff member.")

    def handle(self, *args: Any, **options: Any) -> None:
        token = context.activate(
            context.RequestContext(
                ip_address=None,
                user_agent="ketaflow fhir",
                request_id=context.new_request_id(),
                path=f"ketaflow fhir {options['action']}",
                channel="cli",
            )
        )
        try:
            if options["action"] == "export":
                self._export(options)
            elif options["action"] == "audit-events":
                self._audit_events(options)
            else:
                self._import(options)
        finally:
            context.reset(token)

    # ------------------------------------------------------------------------------ export

    def _export(self, options: dict[str, Any]) -> None:
        clinic = _clinic(options["clinic"])
        actor = _user(options.get("as_user"), clinic)
        label = "" if actor else f"cli:{getpass.getuser()}"
        patients = Patient.objects.filter(clinic=clinic).select_related("clinic").order_by("pk")
        output = Path(options["output"])
        now = timezone.now()
        if options["patient"]:
            patient = patients.filter(mrn=options["patient"]).first()
            if patient is None:
                raise _fail(f"No patient with MRN {options['patient']!r} in {clinic.name}.")
            output.parent.mkdir(parents=True, exist_ok=True)
            count = self._write(patient, output, options["kind"], now, actor, label)
            self.stdout.write(f"Wrote {output} ({count} resources).")
            return
        output.mkdir(parents=True, exist_ok=True)
        written = 0
        for patient in patients:
            name = re.sub(r"[^A-Za-z0-9._-]", "_", patient.mrn) + ".json"
            self._write(patient, output / name, options["kind"], now, actor, label)
            written += 1
        self.stdout.write(f"Wrote {written} patient Bundles to {output}/ (one <MRN>.json each).")

    def _write(
        self, patient: Patient, path: Path, kind: str, now: Any, actor: User | None, label: str
    ) -> int:
        resources = patient_resources(derive.load(patient), now)
        data = to_json(bundle(resources, kind=kind, now=now))
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
        audit_export(
            patient,
            actor=actor,
            actor_label=label,
            detail={"format": f"fhir bundle ({kind})", "file": str(path)},
        )
        return len(resources)

    # ------------------------------------------------------------------------ audit events

    def _audit_events(self, options: dict[str, Any]) -> None:
        clinic = _clinic(options["clinic"])
        start = at_clinic(options["since"], time.min, clinic)
        end = at_clinic(options["until"], time.min, clinic) if options["until"] else None
        if end is not None and end <= start:
            raise _fail("--until must be after --since.")
        rows = AccessEvent.objects.filter(clinic=clinic, at__gte=start).order_by("id")
        if end is not None:
            rows = rows.filter(at__lt=end)
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with output.open("w", encoding="utf-8") as out:
            for event in rows.iterator(chunk_size=2000):
                data = audit_event_data(event, site=clinic.name)
                out.write(json.dumps(data, separators=(",", ":")) + "\n")
                written += 1
        record_event(
            actor=None,
            actor_label=f"cli:{getpass.getuser()}",
            action=Action.EXPORT,
            obj=clinic,
            clinic_id=clinic.pk,
            detail={"part": "audit trail as FHIR AuditEvent", "rows": written, "file": str(output)},
        )
        self.stdout.write(f"Wrote {written} AuditEvents to {output}.")

    # ------------------------------------------------------------------------------ import

    def _documents(self, path: Path) -> list[tuple[int, dict[str, Any]]]:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise _fail(f"Cannot read {path}: {exc}") from exc
        try:
            return [(1, parse_json(text))]
        except FhirProblem:
            pass
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise _fail(f"{path}: line 1: the file is not valid JSON.")
        docs = []
        for n, line in lines:
            try:
                docs.append((n, parse_json(line)))
            except FhirProblem as problem:
                raise _fail(f"{path}: line {n}: {problem}") from problem
        return docs

    def _import(self, options: dict[str, Any]) -> None:
        actor = _user(options["as_user"])
        assert actor is not None
        path = Path(options["input"])
        docs = self._documents(path)
        errors: list[str] = []
        stored = []
        try:
            with transaction.atomic():
                for n, data in docs:
                    try:
                        stored.append(import_questionnaire_response(actor, data, channel="cli"))
                    except FhirProblem as problem:
                        errors += [
                            f"{path}: line {n}: "
                            + (f"{i.expression}: " if i.expression else "")
                            + i.message
                            for i in problem.issues
                        ]
                if errors:
                    raise _Refused
        except _Refused:
            raise _fail("Nothing imported:\n" + "\n".join(errors)) from None
        for response in stored:
            self.stdout.write(
                f"Imported {response.instrument} total {response.total} "
                f"({response.severity}) for patient {response.patient.mrn}."
            )
