"""`ketaflow eligibility`: assess a patient's eligibility from a facts file (thin: parse, core,
print).

The file is one JSON object with the core's patient facts: age_years, sex, pregnancy,
planned_route, and optionally diagnoses (ICD-10 codes), history (history item values, e.g.
psychosis_current), medications ({name, classes, diazepam_equivalent_mg_per_day}),
blood_pressure ({sbp, dbp}), severity_scores ({instrument: total}),
failed_adequate_treatments and clearance_done (clearance item values). The rules are the
core's default criteria, the same as the screening pages use.

Exit status 0 with the suggested outcome and its findings (whatever the outcome: the
prescriber decides); 2 with the field to fix for an unreadable file or invalid or unknown
fields and values.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketaflow.clinical.eligibility import (
    EligibilityAssessment,
    assess_eligibility,
    facts_from_data,
)
from ketaflow.clinical.errors import ClinicalInputError


def _payload(result: EligibilityAssessment) -> dict[str, Any]:
    return {
        "outcome": result.outcome.value,
        "criteria_version": result.criteria_version,
        "findings": [
            {
                "kind": f.kind.value,
                "code": f.code,
                "message": f.message,
                "sources": [s.key for s in f.sources],
                "facts": list(f.facts),
                "needs_local_signoff": f.needs_local_signoff,
            }
            for f in result.findings
        ],
        "sources": [s.key for s in result.sources],
    }


def _text(result: EligibilityAssessment) -> str:
    lines = [f"outcome: {result.outcome.value.replace('_', ' ')}"]
    for f in result.findings:
        signoff = " [clinic default: needs local sign-off]" if f.needs_local_signoff else ""
        lines.append(
            f"{f.kind.value.replace('_', ' ').upper()} [{f.code}] {f.message}{signoff} "
            f"(from: {', '.join(f.facts)}; sources: {', '.join(s.key for s in f.sources)})"
        )
    if not result.findings:
        lines.append("no findings")
    lines.append(f"criteria: {result.criteria_version}")
    return "\n".join(lines)


class Command(BaseCommand):
    # A calculator over the clinical core: no database, no URLs, so no system checks to
    # run (they import every URL, view and API route: seconds before the first answer).
    requires_system_checks: list[str] = []
    help = (
        "Assess eligibility from a JSON file of patient facts: outcome and findings with their "
        "sources. Exit 2 on an unreadable file or an invalid or unknown field."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--facts", required=True, type=Path, help="JSON file with the patient facts"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["facts"]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(
                f"invalid input: --facts: cannot read {path}: {exc}", returncode=2
            ) from exc
        try:
            facts = facts_from_data(data)
        except ClinicalInputError as exc:
            raise CommandError(f"invalid input: {exc}", returncode=2) from exc
        result = assess_eligibility(facts)
        if options["json"]:
            self.stdout.write(json.dumps(_payload(result), indent=2))
        else:
            self.stdout.write(_text(result))
