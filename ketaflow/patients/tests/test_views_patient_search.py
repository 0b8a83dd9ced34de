"""Finding a patient by name, MRN or date of birth, with or without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query", ["doe", "JANE", "jane doe", "KF-000001", "1985-04-12", "12/04/1985"]
)
def test_a_patient_is_found_by_name_mrn_or_date_of_birth(
    client: Any, login: Any, front_desk: Any, patient: Any, query: str
) -> None:
    login(client, front_desk)
    response = client.get("/patients/", {"q": query})
    assert [p.pk for p in response.context["patients"]] == [patient.pk]


def test_no_match_says_so(client: Any, login: Any, nurse: Any, patient: Any) -> None:
    login(client, nurse)
    assert "No patient in your clinic matches" in client.get("/patients/?q=zzz").content.decode()


def test_an_impossible_date_is_a_field_error_not_a_crash(
    client: Any, login: Any, nurse: Any, patient: Any
) -> None:
    login(client, nurse)
    response = client.get("/patients/", {"q": "31/02/1985"})
    assert response.status_code == 200
    assert response.context["form"].errors["q"] == ["That is not a real date."]


def test_another_clinics_patients_never_appear(
    client: Any, login: Any, nurse: Any, patient: Any, outsider_patient: Any
) -> None:
    login(client, nurse)
    response = client.get("/patients/", {"q": "KF-000001"})
    assert [p.pk for p in response.context["patients"]] == [patient.pk]


def test_htmx_gets_only_the_results_and_a_plain_request_the_whole_page(
    client: Any, login: Any, nurse: Any, patient: Any
) -> None:
    login(client, nurse)
    partial = client.get("/patients/", {"q": "doe"}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="patient-results"')
    assert "<html" not in partial and "Doe" in partial
    page = client.get("/patients/", {"q": "doe"}).content.decode()
    assert "<html" in page and 'hx-get="/patients/"' in page and "Doe" in page


def test_the_results_vary_on_the_htmx_header(client: Any, login: Any, nurse: Any) -> None:
    login(client, nurse)
    assert "HX-Request" in client.get("/patients/")["Vary"]


def test_a_search_is_audited(client: Any, login: Any, nurse: Any, patient: Any) -> None:
    from ketaflow.audit.models import AccessEvent

    login(client, nurse)
    client.get("/patients/", {"q": "doe"})
    event = AccessEvent.objects.get(action="search")
    assert event.actor == nurse and event.detail["patient_ids"] == [patient.pk]
