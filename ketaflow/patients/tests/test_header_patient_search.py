"""A patient search in the page header, on every page, for roles that may list patients.

Issue #13: the box in `web/base.html` sends `q` to the patient list (the one search, by name,
MRN or date of birth); it has an accessible name; roles without the patient list (researchers)
get no box. On the patient list itself the page's own search is the one shown.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

FORM = re.compile(r'<form class="header-search"[^>]*>.*?</form>', re.S)


def header_search(html: str) -> str | None:
    found = FORM.findall(html)
    return found[0] if found else None


def submit(client: Client, page: str, query: str) -> str:
    """Fill the header box on `page` and send it, as the browser would (GET to its action)."""
    form = header_search(client.get(page).content.decode())
    assert form is not None
    action = re.search(r'action="([^"]+)"', form)
    name = re.search(r'<input type="search" id="header-search-q" name="(\w+)"', form)
    assert action and name
    response = client.get(action.group(1), {name.group(1): query})
    assert response.status_code == 200
    return response.content.decode()


def test_the_header_box_has_an_accessible_name_and_goes_to_the_patient_list(
    patient: Any, nurse: Any, login: Any
) -> None:
    client = login(Client(), nurse)
    form = header_search(client.get(reverse("patients:detail", args=[patient.pk])).content.decode())
    assert form is not None
    assert f'action="{reverse("patients:list")}"' in form
    assert 'role="search"' in form
    assert '<label for="header-search-q"' in form and "Search patients</label>" in form


@pytest.mark.parametrize("query", ["KF-000001", "doe", "Jane Doe", "1985-04-12", "12/04/1985"])
def test_the_header_search_finds_by_mrn_name_and_date_of_birth(
    patient: Any, outsider_patient: Any, nurse: Any, front_desk: Any, login: Any, query: str
) -> None:
    for user in (nurse, front_desk):
        html = submit(login(Client(), user), reverse("web:home"), query)
        assert reverse("patients:detail", args=[patient.pk]) in html, (user.role, query)
        assert "Olga" not in html  # another clinic's patient is never found


def test_a_wrong_date_of_birth_finds_nobody(patient: Any, nurse: Any, login: Any) -> None:
    html = submit(login(Client(), nurse), reverse("web:home"), "1985-04-13")
    assert reverse("patients:detail", args=[patient.pk]) not in html


def test_a_role_without_the_patient_list_gets_no_search_box(
    researcher: Any, nurse: Any, login: Any
) -> None:
    response = login(Client(), researcher).get(reverse("web:home"))
    assert response.status_code == 200
    assert header_search(response.content.decode()) is None
    assert header_search(login(Client(), nurse).get(reverse("web:home")).content.decode())


def test_the_patient_list_shows_only_its_own_search(nurse: Any, login: Any) -> None:
    html = login(Client(), nurse).get(reverse("patients:list")).content.decode()
    assert header_search(html) is None
    assert html.count('type="search"') == 1
