"""Every patient page for every persona: 200, 403 (role), 404 (another clinic), or sign in.

Front desk and clinic admins see demographics but never the chart; researchers see no
patient at all; the outsider (a prescriber at another clinic) finds nothing of ours.
"""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.lib.tests.persona_rows import Row
from ketaflow.web.tests.factories import (
    a_diagnosis,
    a_medication,
    anonymous_redirects_to_login,
)

PERSONAS = ("front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider")


def expect(fd: int, nu: int, pr: int, ad: int, re: int, out: int) -> dict[str, int]:
    return dict(zip(PERSONAS, (fd, nu, pr, ad, re, out), strict=True))


DEMOGRAPHICS = expect(200, 200, 200, 200, 403, 404)
CHART = expect(403, 200, 200, 403, 403, 404)
DIAGNOSIS_WRITE = expect(403, 403, 200, 403, 403, 404)

PAGES = [
    ("list", "/patients/", expect(200, 200, 200, 200, 403, 200)),
    ("register", "/patients/register/", expect(200, 200, 200, 200, 403, 200)),
    ("detail", "/patients/{p}/", DEMOGRAPHICS),
    ("amend", "/patients/{p}/amend/", DEMOGRAPHICS),
    ("chart", "/patients/{p}/chart/", CHART),
    ("add medication", "/patients/{p}/chart/medications/add/", CHART),
    ("add diagnosis", "/patients/{p}/chart/diagnoses/add/", DIAGNOSIS_WRITE),
    ("amend medication", "/patients/{p}/chart/medications/{m}/amend/", CHART),
    ("medication in error", "/patients/{p}/chart/medications/{m}/entered-in-error/", CHART),
    ("medication history", "/patients/{p}/chart/medications/{m}/history/", CHART),
    ("amend diagnosis", "/patients/{p}/chart/diagnoses/{d}/amend/", DIAGNOSIS_WRITE),
    ("diagnosis in error", "/patients/{p}/chart/diagnoses/{d}/entered-in-error/", DIAGNOSIS_WRITE),
    ("diagnosis history", "/patients/{p}/chart/diagnoses/{d}/history/", CHART),
]

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [Row("GET", url, expected) for _name, url, expected in PAGES]


@pytest.fixture
def urls(patient: Any, nurse: Any, prescriber: Any) -> dict[str, int]:
    med, dx = a_medication(nurse, patient), a_diagnosis(prescriber, patient)
    return {"p": patient.pk, "m": med.pk, "d": dx.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_its_role_allows(
    client: Any,
    login: Any,
    personas: dict,
    urls: dict,
    name: str,
    url: str,
    expected: dict,
    persona: str,
) -> None:
    login(client, personas[persona])
    assert client.get(url.format(**urls)).status_code == expected[persona]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_anonymous_visitors_are_sent_to_sign_in(
    client: Any, urls: dict, name: str, url: str, expected: dict
) -> None:
    assert anonymous_redirects_to_login(client.get(url.format(**urls)))


@pytest.mark.django_db
def test_another_clinics_patient_is_not_found_even_for_a_prescriber(
    client: Any, login: Any, prescriber: Any, outsider_patient: Any
) -> None:
    login(client, prescriber)
    for url in ("/patients/{p}/", "/patients/{p}/chart/", "/patients/{p}/chart/allergies/add/"):
        assert client.get(url.format(p=outsider_patient.pk)).status_code == 404


@pytest.mark.django_db
def test_an_entry_is_only_reachable_under_its_own_patient(
    client: Any, login: Any, nurse: Any, patient: Any, clinic: Any, front_desk: Any
) -> None:
    from ketaflow.patients.services import register_patient

    other = register_patient(
        front_desk,
        given_name="Al",
        family_name="Other",
        date_of_birth="1990-01-01",
        sex_at_birth="male",
    )
    med = a_medication(nurse, patient)
    login(client, nurse)
    assert client.get(f"/patients/{other.pk}/chart/medications/{med.pk}/amend/").status_code == 404
    assert client.get(f"/patients/{patient.pk}/chart/nonsense/add/").status_code == 404


@pytest.mark.django_db
def test_front_desk_sees_demographics_without_any_chart_section(
    client: Any, login: Any, front_desk: Any, nurse: Any, patient: Any
) -> None:
    a_medication(nurse, patient)
    login(client, front_desk)
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Jane" in page and "KF-000001" in page
    assert "Clinical chart" not in page and "/chart/" not in page and "Sertraline" not in page
    assert "/chart/" not in client.get("/patients/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "kind", "data"),
    [
        ("front_desk", "allergies", {"substance": "Latex", "severity": "mild"}),
        ("clinic_admin", "allergies", {"substance": "Latex", "severity": "mild"}),
        ("nurse", "diagnoses", {"code": "F41.0"}),
        ("outsider", "allergies", {"substance": "Latex", "severity": "mild"}),
    ],
)
def test_writes_the_role_may_not_make_are_refused_and_record_nothing(
    client: Any, login: Any, personas: dict, patient: Any, persona: str, kind: str, data: dict
) -> None:
    login(client, personas[persona])
    response = client.post(f"/patients/{patient.pk}/chart/{kind}/add/", data)
    assert response.status_code in {403, 404}
    assert not patient.allergies.exists() and not patient.diagnoses.exists()


@pytest.mark.django_db
def test_only_roles_that_read_the_audit_log_get_a_link_to_who_looked_at_the_record(
    client: Any, login: Any, clinic_admin: Any, nurse: Any, patient: Any
) -> None:
    link = f'href="/audit/patients/{patient.pk}/"'
    login(client, clinic_admin)
    assert link in client.get(f"/patients/{patient.pk}/").content.decode()
    client.logout()
    login(client, nurse)
    assert link not in client.get(f"/patients/{patient.pk}/").content.decode()
