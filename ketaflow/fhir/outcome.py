"""OperationOutcome: the FHIR way to say what went wrong, and where.

Every FHIR endpoint answers errors with one of these (content type application/fhir+json),
never Ketaflow's usual `{"detail": [...]}`: a FHIR client expects an OperationOutcome and
reads `issue[].expression` (a FHIRPath to the element at fault) to show the user where.
`location` carries the same path for older clients that read only that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse

from ketaflow.fhir import codes
from ketaflow.fhir.resources_common import build, to_json

FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True)
class Issue:
    code: str  # OperationOutcome.issue.code (allow-listed)
    message: str
    expression: str = ""
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": codes.allowed_code("OperationOutcome", "issue.severity", self.severity),
            "code": codes.allowed_code("OperationOutcome", "issue.code", self.code),
            "diagnostics": self.message,
        }
        if self.expression:
            out["expression"] = [self.expression]
            out["location"] = [self.expression]
        return out


@dataclass
class FhirProblem(Exception):
    """Raised inside the FHIR edge; becomes an OperationOutcome with `status`."""

    status: int
    issues: list[Issue] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(
            (f"{i.expression}: " if i.expression else "") + i.message for i in self.issues
        )


def outcome(issues: list[Issue]) -> dict[str, Any]:
    resource = build({"resourceType": "OperationOutcome", "issue": [i.to_dict() for i in issues]})
    return to_json(resource)


def fhir_response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)


def problem_response(problem: FhirProblem) -> HttpResponse:
    return fhir_response(outcome(problem.issues), problem.status)


def not_found(message: str = "No such resource in your clinic.") -> FhirProblem:
    return FhirProblem(404, [Issue("not-found", message)])


def forbidden(message: str) -> FhirProblem:
    return FhirProblem(403, [Issue("forbidden", message)])
