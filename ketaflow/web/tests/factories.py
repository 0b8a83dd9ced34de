"""Small helpers that put entries in a chart through the real services, for page tests."""

from __future__ import annotations

from typing import Any

from ketaflow.patients.services import add_entry


def a_medication(nurse: Any, patient: Any, **extra: Any) -> Any:
    data = {"name": "Sertraline", "dose": "100 mg daily", "classes": ["antidepressant"]}
    return add_entry(nurse, patient, "medications", {**data, **extra})


def a_diagnosis(prescriber: Any, patient: Any) -> Any:
    return add_entry(prescriber, patient, "diagnoses", {"code": "F41.1", "is_primary": True})


def anonymous_redirects_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith("/accounts/login/")
