"""Helpers for API tests: JSON calls, valid bodies for every endpoint, one world to act on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client

API = "/api/v1"

# A valid body per kind of chart entry, and a valid amendment of it.
VALID_ENTRY: dict[str, dict[str, Any]] = {
    "diagnoses": {"code": "F41.1", "is_primary": True, "onset": "2019-05-01"},
    "history": {"condition": "hypertension", "presence": "past"},
    "medications": {"name": "sertraline", "dose": "100 mg daily", "classes": ["antidepressant"]},
    "prior-treatments": {
        "kind": "ssri",
        "name": "sertraline",
        "adequate": True,
        "outcome": "partial",
    },
    "allergies": {"substance": "penicillin", "reaction": "rash", "severity": "moderate"},
    "measurements": {
        "kind": "weight",
        "entered_value": 70.5,
        "entered_unit": "kg",
        "measured_on": "2025-01-10",
    },
    "pregnancy": {
        "observed_on": "2025-01-10",
        "pregnancy_status": "not_pregnant",
        "test_done": True,
        "test_positive": False,
    },
}

VALID_AMENDMENT: dict[str, dict[str, Any]] = {
    "diagnoses": {"description": "GAD, severe", "reason": "Added the description"},
    "history": {"presence": "current", "reason": "Patient clarified"},
    "medications": {"dose": "150 mg daily", "reason": "Dose increased by GP"},
    "prior-treatments": {"outcome": "no_response", "reason": "Letter from GP"},
    "allergies": {"severity": "severe", "reason": "Anaphylaxis in 2010"},
    "measurements": {"entered_value": 71, "reason": "Misread the scale"},
    "pregnancy": {"pregnancy_status": "planning", "reason": "Patient is planning IVF"},
}

VALID_PATIENT: dict[str, Any] = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "date_of_birth": "1990-12-10",
    "sex_at_birth": "female",
    "can_become_pregnant": True,
}


def call(
    client: Client,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    raw: str | bytes | None = None,
    **headers: str,
) -> Any:
    """`client.<method>(/api/v1<path>)` with a JSON body and, if given, a bearer token."""
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    kwargs: dict[str, Any] = {"headers": headers}
    if raw is not None:
        kwargs.update(data=raw, content_type="application/json")
    elif body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method.lower())(f"{API}{path}", **kwargs)


def details(response: Any) -> list[dict[str, Any]]:
    body = response.json()
    assert isinstance(body["detail"], list), body
    for item in body["detail"]:
        assert set(item) == {"loc", "msg", "type"}, item
    return body["detail"]


def fields_in_error(response: Any) -> set[str]:
    return {".".join(str(p) for p in d["loc"][1:]) for d in details(response)}


@dataclass
class World:
    """Our clinic's patient with one entry of every kind, ready to be acted on."""

    patient: Any
    entries: dict[str, Any]


def make_world(patient: Any, prescriber: Any) -> World:
    """One entry of every kind, added through the service as a prescriber would."""
    from ketaflow.patients.schemas import ENTRY_SCHEMAS, plain
    from ketaflow.patients.services import add_entry

    entries = {
        slug: add_entry(
            prescriber, patient, slug, plain(ENTRY_SCHEMAS[slug].create.model_validate(body))
        )
        for slug, body in VALID_ENTRY.items()
    }
    return World(patient, entries)
