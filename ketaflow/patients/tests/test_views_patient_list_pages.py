"""The patient list pages through every patient (it used to stop at 50), keeping the search."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ketaflow.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(clinic: Any, front_desk: Any) -> list[Patient]:
    """120 patients: 60 Smiths and 60 Joneses."""
    rows = [
        Patient(
            clinic=clinic,
            mrn=f"KF-{n:06d}",
            given_name=f"Given{n:03d}",
            family_name="Smith" if n % 2 else "Jones",
            date_of_birth=date(1980, 1, 1),
            sex_at_birth="female",
            created_by=front_desk,
        )
        for n in range(1, 121)
    ]
    return Patient.objects.bulk_create(rows)


def test_the_first_page_shows_50_and_says_of_how_many(
    client: Any, login: Any, front_desk: Any, many: list[Patient]
) -> None:
    html = login(client, front_desk).get("/patients/").content.decode()
    assert "1–50 of 120 patients" in html
    assert html.count('class="row-link"') == 50
    assert 'href="?page=2"' in html and 'href="?page=3"' in html


def test_page_three_shows_the_rest(
    client: Any, login: Any, front_desk: Any, many: list[Patient]
) -> None:
    html = login(client, front_desk).get("/patients/?page=3").content.decode()
    assert "101–120 of 120 patients" in html
    assert html.count('class="row-link"') == 20
    assert 'aria-current="page">3<' in html


def test_page_links_keep_the_search(
    client: Any, login: Any, front_desk: Any, many: list[Patient]
) -> None:
    login(client, front_desk)
    html = client.get("/patients/?q=smith").content.decode()
    assert "1–50 of 60 patients matching “smith”" in html
    assert 'href="?q=smith&amp;page=2"' in html
    second = client.get("/patients/?q=smith&page=2").content.decode()
    assert "51–60 of 60 patients" in second
    assert "Jones" not in second
    assert 'href="?q=smith&amp;page=1"' in second


def test_htmx_results_page_too(
    client: Any, login: Any, front_desk: Any, many: list[Patient]
) -> None:
    login(client, front_desk)
    html = client.get("/patients/?q=jones&page=2", HTTP_HX_REQUEST="true").content.decode()
    assert html.startswith('<section id="patient-results"')
    assert "51–60 of 60 patients" in html


def test_a_page_out_of_range_or_not_a_number_shows_a_real_page(
    client: Any, login: Any, front_desk: Any, many: list[Patient]
) -> None:
    login(client, front_desk)
    assert "101–120 of 120" in client.get("/patients/?page=99").content.decode()
    assert "1–50 of 120" in client.get("/patients/?page=abc").content.decode()


def test_one_page_has_no_page_links(client: Any, login: Any, front_desk: Any, patient: Any) -> None:
    html = login(client, front_desk).get("/patients/").content.decode()
    assert "1 patient" in html and 'class="pagination"' not in html


def test_another_clinics_patients_are_not_counted(
    client: Any, login: Any, outsider: Any, many: list[Patient]
) -> None:
    html = login(client, outsider).get("/patients/").content.decode()
    assert "No patients registered yet." in html
