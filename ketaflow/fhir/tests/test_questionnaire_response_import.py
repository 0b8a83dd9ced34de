"""Importing GAD-7 / PHQ-9 QuestionnaireResponses: scored by the core, stored with provenance,
and every refusal an OperationOutcome naming the element — with nothing stored."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaflow.audit.models import AccessEvent
from ketaflow.fhir.models import ImportedResponse
from ketaflow.questionnaires.models import InstrumentResponse

pytestmark = pytest.mark.django_db

URL = "/api/v1/fhir/QuestionnaireResponse"
GAD7_LOINC = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
PHQ9_LOINC = (
    "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3",
    "44260-8",
)  # fmt: skip
LA = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")


def gad7(mrn: str, answers: list[int], **extra: Any) -> dict[str, Any]:
    body = {
        "resourceType": "QuestionnaireResponse",
        "id": "remote-1",
        "questionnaire": "https://ketaflow.org/fhir/Questionnaire/gad7",
        "status": "completed",
        "subject": {"identifier": {"value": mrn}},
        "authored": (timezone.now() - timedelta(hours=1)).isoformat(),
        "item": [
            {
                "linkId": f"item_{n}",
                "answer": [{"valueCoding": {"system": "http://loinc.org", "code": LA[a]}}],
            }
            for n, a in enumerate(answers, start=1)
        ],
    }
    body.update(extra)
    return body


def post(client: Client, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, raw, content_type="application/fhir+json")


@pytest.fixture
def as_nurse(client: Client, login: Any, nurse: Any) -> Client:
    return login(client, nurse)


def test_a_gad7_is_scored_by_the_core_and_stored_as_follow_up(
    as_nurse: Client, patient: Any, nurse: Any
) -> None:
    response = post(as_nurse, gad7(patient.mrn, [1, 1, 1, 1, 0, 1, 2]))
    assert response.status_code == 201, response.json()
    assert response["Content-Type"] == "application/fhir+json"
    stored = InstrumentResponse.objects.get(patient=patient)
    assert (stored.instrument, stored.total, stored.severity) == ("gad7", 7, "mild")
    assert stored.context == "follow_up" and stored.rater == "self"
    assert stored.context_ref == "fhir-import:remote-1"
    body = response.json()
    assert response["Location"].endswith(f"/QuestionnaireResponse/qr-{stored.pk}")
    assert body["id"] == f"qr-{stored.pk}"
    provenance = ImportedResponse.objects.get(response=stored)
    assert provenance.channel == "api" and provenance.received_by == nurse
    assert provenance.source_id == "remote-1"
    assert AccessEvent.objects.filter(
        action="create", patient=patient, detail__import="fhir QuestionnaireResponse"
    ).exists()


def test_a_phq9_by_loinc_link_ids_with_a_matching_total(as_nurse: Client, patient: Any) -> None:
    answers = [2, 2, 2, 2, 1, 1, 2, 0, 0]
    body = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://loinc.org/q/44249-1|2.72",
        "status": "completed",
        "subject": {
            "identifier": {
                "system": "https://ketaflow.org/fhir/clinic/riverside/mrn",
                "value": patient.mrn,
            }
        },
        "authored": "2026-01-05T09:30:00-05:00",
        "item": [
            {
                "linkId": "phq9-group",
                "item": [
                    {"linkId": f"/{code}", "answer": [{"valueInteger": a}]}
                    for code, a in zip(PHQ9_LOINC, answers, strict=True)
                ]
                + [{"linkId": "/44261-6", "answer": [{"valueInteger": 12}]}],
            }
        ],
    }
    response = post(as_nurse, body)
    assert response.status_code == 201, response.json()
    stored = InstrumentResponse.objects.get(patient=patient)
    assert (stored.instrument, stored.total, stored.severity) == ("phq9", 12, "moderate")


def test_a_reference_to_an_exported_patient_id_works(as_nurse: Client, patient: Any) -> None:
    body = gad7(patient.mrn, [0] * 7, subject={"reference": f"Patient/pat-{patient.pk}"})
    assert post(as_nurse, body).status_code == 201


def _refused(client: Client, body: Any, status: int) -> list[dict[str, Any]]:
    before = (InstrumentResponse.objects.count(), ImportedResponse.objects.count())
    response = post(client, body)
    assert response.status_code == status, response.json()
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert (InstrumentResponse.objects.count(), ImportedResponse.objects.count()) == before
    return outcome["issue"]


def test_bad_json(as_nurse: Client) -> None:
    (issue,) = _refused(as_nurse, "{not json", 400)
    assert issue["code"] == "structure"


def test_the_wrong_resource_type(as_nurse: Client, patient: Any) -> None:
    (issue,) = _refused(as_nurse, {"resourceType": "Observation", "status": "final"}, 400)
    assert issue["expression"] == ["resourceType"]


def test_a_structurally_invalid_response(as_nurse: Client, patient: Any) -> None:
    issues = _refused(as_nurse, gad7(patient.mrn, [1] * 7, status=None, bogus=1), 400)
    assert {i["code"] for i in issues} == {"structure"}


def test_an_unknown_questionnaire(as_nurse: Client, patient: Any) -> None:
    body = gad7(patient.mrn, [1] * 7, questionnaire="http://example.org/Questionnaire/hads")
    (issue,) = _refused(as_nurse, body, 422)
    assert issue["code"] == "not-supported"
    assert issue["expression"] == ["QuestionnaireResponse.questionnaire"]


def test_a_missing_item_is_named(as_nurse: Client, patient: Any) -> None:
    body = gad7(patient.mrn, [1] * 7)
    del body["item"][2]
    (issue,) = _refused(as_nurse, body, 422)
    assert issue["code"] == "required" and "item 3" in issue["diagnostics"]
    assert "69733-4" in issue["diagnostics"]


def test_an_extra_item_is_located(as_nurse: Client, patient: Any) -> None:
    body = gad7(patient.mrn, [1] * 7)
    body["item"].append({"linkId": "item_8", "answer": [{"valueInteger": 1}]})
    (issue,) = _refused(as_nurse, body, 422)
    assert issue["expression"] == ["QuestionnaireResponse.item[7].linkId"]


def test_an_answer_out_of_range_is_located(as_nurse: Client, patient: Any) -> None:
    body = gad7(patient.mrn, [1] * 7)
    body["item"][4]["answer"] = [{"valueInteger": 4}]
    (issue,) = _refused(as_nurse, body, 422)
    assert issue["code"] == "value"
    assert issue["expression"] == ["QuestionnaireResponse.item[4].answer[0]"]
    assert "0-3" in issue["diagnostics"]


def test_an_unknown_answer_code(as_nurse: Client, patient: Any) -> None:
    body = gad7(patient.mrn, [1] * 7)
    body["item"][0]["answer"][0]["valueCoding"]["code"] = "LA9999-9"
    (issue,) = _refused(as_nurse, body, 422)
    assert issue["expression"] == ["QuestionnaireResponse.item[0].answer[0].valueCoding"]


def test_a_wrong_total_is_refused(as_nurse: Client, patient: Any) -> None:
    body = gad7(patient.mrn, [1] * 7)
    body["item"].append({"linkId": "70274-6", "answer": [{"valueInteger": 9}]})
    (issue,) = _refused(as_nurse, body, 422)
    assert "(7)" in issue["diagnostics"]


def test_an_unknown_patient(as_nurse: Client, patient: Any) -> None:
    (issue,) = _refused(as_nurse, gad7("KF-404404", [1] * 7), 422)
    assert issue["code"] == "not-found"
    assert issue["expression"] == ["QuestionnaireResponse.subject.identifier.value"]


def test_another_clinics_patient_is_unknown(as_nurse: Client, outsider_patient: Any) -> None:
    body = gad7(outsider_patient.mrn, [1] * 7)
    body["subject"] = {"reference": f"Patient/pat-{outsider_patient.pk}"}
    (issue,) = _refused(as_nurse, body, 422)
    assert issue["code"] == "not-found"


def test_another_clinics_mrn_system_is_unknown(as_nurse: Client, patient: Any) -> None:
    body = gad7(patient.mrn, [1] * 7)
    body["subject"]["identifier"]["system"] = "https://ketaflow.org/fhir/clinic/hillside/mrn"
    (issue,) = _refused(as_nurse, body, 422)
    assert issue["expression"] == ["QuestionnaireResponse.subject.identifier.system"]


def test_a_future_date(as_nurse: Client, patient: Any) -> None:
    later = (timezone.now() + timedelta(days=1)).isoformat()
    (issue,) = _refused(as_nurse, gad7(patient.mrn, [1] * 7, authored=later), 422)
    assert issue["expression"] == ["QuestionnaireResponse.authored"]


def test_a_date_without_a_time(as_nurse: Client, patient: Any) -> None:
    (issue,) = _refused(as_nurse, gad7(patient.mrn, [1] * 7, authored="2026-01-02"), 422)
    assert issue["expression"] == ["QuestionnaireResponse.authored"]


def test_an_unfinished_response(as_nurse: Client, patient: Any) -> None:
    (issue,) = _refused(as_nurse, gad7(patient.mrn, [1] * 7, status="in-progress"), 422)
    assert issue["expression"] == ["QuestionnaireResponse.status"]


def test_every_problem_is_reported_at_once(as_nurse: Client, patient: Any) -> None:
    body = gad7("KF-404404", [1] * 7, status="in-progress")
    body["item"][0]["answer"] = [{"valueInteger": 7}]
    issues = _refused(as_nurse, body, 422)
    assert len(issues) == 3


def test_the_same_identifier_is_imported_once(as_nurse: Client, patient: Any) -> None:
    body = gad7(patient.mrn, [1] * 7, identifier={"system": "urn:app", "value": "abc"})
    assert post(as_nurse, body).status_code == 201
    (issue,) = _refused(as_nurse, body, 409)
    assert issue["code"] == "duplicate"


def test_roles_that_cannot_edit_the_chart_are_refused(
    client: Client, login: Any, patient: Any, clinic_admin: Any
) -> None:
    login(client, clinic_admin)
    (issue,) = _refused(client, gad7(patient.mrn, [1] * 7), 403)
    assert issue["code"] == "forbidden"


# The fixtures are shared by every example on purpose: each example adds its own response
# and checks only that one (or that the counts did not move).
SHARED = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SHARED
@given(st.lists(st.integers(0, 3), min_size=7, max_size=7))
def test_any_valid_gad7_is_stored_with_the_cores_total(
    as_nurse: Client, patient: Any, answers: list[int]
) -> None:
    response = post(as_nurse, gad7(patient.mrn, answers, id=None))
    assert response.status_code == 201, response.json()
    stored = InstrumentResponse.objects.get(pk=int(response.json()["id"].split("-")[1]))
    assert stored.total == sum(answers)
    assert stored.answers[:7] == answers  # item 8 (difficulty) is optional: None


@SHARED
@given(
    st.lists(st.integers(0, 3), min_size=7, max_size=7),
    st.integers(0, 6),
    st.one_of(st.integers(-50, -1), st.integers(4, 50)),
)
def test_any_out_of_range_answer_stores_nothing(
    as_nurse: Client, patient: Any, answers: list[int], position: int, bad: int
) -> None:
    body = gad7(patient.mrn, answers, id=None)
    body["item"][position]["answer"] = [{"valueInteger": bad}]
    (issue,) = _refused(as_nurse, body, 422)
    assert issue["expression"] == [f"QuestionnaireResponse.item[{position}].answer[0]"]
