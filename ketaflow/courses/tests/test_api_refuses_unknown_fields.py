"""Every courses request body refuses an unknown field by name, like the rest of the API.

A misspelt field ("reson" for "reason") silently dropped would book, cancel or revise with a
default the caller never chose; a 422 naming the field tells them instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ketaflow.courses.models import Appointment, Chair, Course, ProtocolVersion, SeriesDecision
from ketaflow.lib.tests.api_client import call, details

pytestmark = pytest.mark.django_db

# (family, persona allowed to call it, method, path, an otherwise valid body)
BODIES = [
    (
        "protocols",
        "prescriber",
        "POST",
        "/protocols/{protocol}/revise",
        {"changes": {"observation_minutes": 90}, "reason": "audit"},
    ),
    ("chairs", "clinic_admin", "POST", "/chairs", {"name": "Chair 9"}),
    ("chairs", "clinic_admin", "PATCH", "/chairs/{chair}", {"notes": "by the window"}),
    (
        "courses",
        "prescriber",
        "POST",
        "",
        {
            "patient_id": "{second_patient}",
            "protocol_version_id": "{protocol}",
            "started_on": "{monday}",
        },
    ),
    ("courses", "prescriber", "POST", "/{course}/phase", {"to_phase": "induction"}),
    ("courses", "prescriber", "POST", "/{course}/decisions", {"note": "as planned"}),
    ("courses", "front_desk", "POST", "/{course}/book-series", {"at": "09:00"}),
    (
        "appointments",
        "front_desk",
        "POST",
        "/appointments",
        {"course_id": "{course}", "chair_id": "{chair2}", "starts_at": "{later}"},
    ),
    (
        "appointments",
        "front_desk",
        "POST",
        "/appointments/{appt}/reschedule",
        {"starts_at": "{later}", "reason": "x"},
    ),
    ("appointments", "front_desk", "POST", "/appointments/{appt}/cancel", {"reason": "unwell"}),
    ("appointments", "front_desk", "POST", "/appointments/{appt}/status", {"status": "checked_in"}),
]


@pytest.fixture
def world(front_desk, course, chairs, second_patient, monday, at) -> dict[str, Any]:
    from ketaflow.courses.services import book_appointment

    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    return {
        "course": course.pk,
        "appt": appt.pk,
        "protocol": course.protocol_version_id,
        "chair": chairs[0].pk,
        "chair2": chairs[1].pk,
        "second_patient": second_patient.pk,
        "later": at(monday + timedelta(days=2), 9).isoformat(),
        "monday": monday.isoformat(),
    }


def _state() -> tuple[list[Any], ...]:
    """Everything a courses body could change: nothing may, when the body is refused."""
    return (
        list(Appointment.objects.values_list("pk", "status", "starts_at", "chair_id")),
        list(Chair.objects.values_list("pk", "name", "notes", "active")),
        list(Course.objects.values_list("pk", "phase")),
        list(ProtocolVersion.objects.values_list("pk")),
        list(SeriesDecision.objects.values_list("pk")),
    )


def _fill(value: Any, world: dict[str, Any]) -> Any:
    if isinstance(value, str):
        filled = value.format(**world)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("family", "who", "method", "path", "body"),
    BODIES,
    ids=[f"{b[0]}: {b[2]} {b[3] or '/'}" for b in BODIES],
)
def test_an_unknown_field_is_refused_by_name_and_nothing_changes(
    client, login, personas, world, family, who, method, path, body
):
    login(client, personas[who])
    before = _state()
    response = call(
        client, method, f"/courses{_fill(path, world)}", {**_fill(body, world), "colour": "red"}
    )
    assert response.status_code == 422, response.content
    (problem,) = details(response)
    assert problem["loc"] == ["body", "colour"]
    assert problem["type"] == "extra_forbidden"
    assert "Unknown field 'colour'" in problem["msg"]
    assert _state() == before


def test_the_courses_request_bodies_are_declared_strict(client):
    components = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in (
        "ReviseIn",
        "ChairIn",
        "ChairPatch",
        "CourseIn",
        "PhaseIn",
        "DecisionIn",
        "SeriesIn",
        "BookIn",
        "RescheduleIn",
        "CancelIn",
        "StatusIn",
    ):
        assert components[name]["additionalProperties"] is False, name
