"""The PK explorer page: any signed-in staff role sees a chart with source, status and caveats."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("pk_explorer:explorer")
IV = {"model": "domino", "weight_kg": "70", "route": "iv", "mg_per_kg": "0.5",
      "minutes": "40", "horizon_min": "240"}  # fmt: skip


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    "persona", ["front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider"]
)
def test_every_staff_role_can_open_the_empty_form(client, login, request, persona):
    response = login(client, request.getfixturevalue(persona)).get(URL)
    assert response.status_code == 200
    assert b"PK explorer" in response.content and b"<svg" not in response.content


def test_a_regimen_gives_an_inline_chart_with_source_status_and_caveat(client, login, nurse):
    response = login(client, nurse).get(URL, IV)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html
    assert "Domino 1984" in html and "PK-Domino1984" in html
    assert "UNVERIFIED" in html and "needs local clinical sign-off" in html
    assert "185 ng/mL" in html and "infusion pump" in html
    assert "240.3 ng/mL" in html  # the reference table's 40-min value


def test_a_population_adds_the_percentile_band(client, login, researcher):
    response = login(client, researcher).get(URL, IV | {"model": "herd", "population_n": "200"})
    html = response.content.decode()
    assert "200 virtual patients" in html and "Cmax across patients" in html


def test_esketamine_takes_a_dose_in_mg_and_says_weight_is_not_used(client, login, prescriber):
    params = {"model": "esketamine-nasal", "weight_kg": "70", "route": "intranasal",
              "dose_mg": "56", "horizon_min": "180"}  # fmt: skip
    html = login(client, prescriber).get(URL, params).content.decode()
    assert "<svg" in html and "weight not used" in html and "noresketamine" in html


@pytest.mark.parametrize(
    "change, words",
    [
        ({"route": "oral", "model": "esketamine-nasal", "mg_per_kg": "", "dose_mg": "28"}, "takes"),
        ({"dose_mg": "35"}, "not both"),
        ({"weight_kg": "0"}, "greater than or equal to"),
        ({"model": "esketamine-nasal", "route": "intranasal"}, "no weight covariate"),
    ],
)
def test_invalid_regimens_show_the_problem_next_to_the_field(client, login, nurse, change, words):
    html = login(client, nurse).get(URL, IV | change).content.decode()
    assert "There is a problem" in html or "problems" in html
    assert words in html and "<svg" not in html


def test_post_is_not_allowed(client, login, nurse):
    assert login(client, nurse).post(URL, IV).status_code == 405
