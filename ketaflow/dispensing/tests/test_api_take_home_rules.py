"""The API keeps the same rules as the pages: each refusal is a 422 with the service's words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client

from ketaflow.dispensing.tests.conftest import AUTH
from ketaflow.lib.tests.api_client import call

API = "/dispensing"


def _dispense_body(witness: Any, quantity: int = 10, lot: str = "LOT-A1") -> dict[str, Any]:
    return {
        "quantity": quantity,
        "lot": lot,
        "witness_id": witness.pk,
        "storage_acknowledged": True,
        "no_driving_acknowledged": True,
    }


def test_authorising_before_the_supervised_doses_is_refused(login, prescriber, course, supervised):
    supervised(2)
    client = login(Client(), prescriber)
    response = call(client, "POST", f"{API}/courses/{course.pk}/authorisations", AUTH)
    assert response.status_code == 422
    assert "supervised doses in a row" in response.content.decode()
    state = call(client, "GET", f"{API}/courses/{course.pk}").json()
    assert state["eligibility"]["allowed"] is False and state["eligibility"]["required"] == 3
    assert "strongly discouraged" in state["warning"]


def test_more_than_five_refills_is_refused(login, prescriber, course, supervised):
    supervised(3)
    client = login(Client(), prescriber)
    body = {**AUTH, "refills_allowed": 6}
    response = call(client, "POST", f"{API}/courses/{course.pk}/authorisations", body)
    assert response.status_code == 422 and "at most 5 refills" in response.content.decode()


def test_an_early_refill_request_is_flagged_and_dispensing_refused(
    clock, login, nurse, second_nurse, authorised, stock, pdmp_checked
):
    client = login(Client(), nurse)
    path = f"{API}/authorisations/{authorised.pk}"
    first = call(client, "POST", f"{path}/supplies", _dispense_body(second_nurse))
    assert first.status_code == 201, first.content
    clock(authorised.authorised_at + timedelta(days=6))
    client = login(Client(), nurse)
    flagged = call(client, "POST", f"{path}/refill-requests", {"note": "more please"})
    assert flagged.status_code == 201
    assert flagged.json()["early"] is True and flagged.json()["status"] == "waiting"
    refused = call(client, "POST", f"{path}/supplies", _dispense_body(second_nurse))
    assert refused.status_code == 422 and "waiting" in refused.content.decode()
    waiting = call(client, "GET", f"{API}/refill-requests?waiting=true").json()
    assert [r["id"] for r in waiting] == [flagged.json()["id"]]


def test_a_count_short_by_one_is_an_open_discrepancy(login, nurse, second_nurse, stock):
    client = login(Client(), nurse)
    body = {"counts": [{"lot": "LOT-A1", "counted": 99}], "witness_id": second_nurse.pk}
    response = call(client, "POST", f"{API}/stock/reconciliations", body)
    assert response.status_code == 201
    (line,) = response.json()["lines"]
    assert (line["expected"], line["counted"], line["difference"], line["open"]) == (
        100,
        99,
        -1,
        True,
    )
    assert call(client, "GET", f"{API}/stock").json()["open_discrepancies"][0]["id"] == line["id"]
    self_witnessed = {"explanation": "Dropped", "witness_id": nurse.pk}
    refused = call(client, "POST", f"{API}/stock/lines/{line['id']}/explanation", self_witnessed)
    assert refused.status_code == 422


def test_the_dispenser_cannot_witness_their_own_supply(
    login, nurse, authorised, stock, pdmp_checked
):
    client = login(Client(), nurse)
    response = call(
        client, "POST", f"{API}/authorisations/{authorised.pk}/supplies", _dispense_body(nurse)
    )
    assert response.status_code == 422 and "someone other than you" in response.content.decode()


def test_unknown_fields_are_refused(login, nurse, second_nurse, authorised, stock, pdmp_checked):
    client = login(Client(), nurse)
    body = {**_dispense_body(second_nurse), "fill_number": 0}
    response = call(client, "POST", f"{API}/authorisations/{authorised.pk}/supplies", body)
    assert response.status_code == 422


def test_another_clinic_sees_nothing(
    login, outsider, nurse, second_nurse, authorised, stock, pdmp_checked
):
    client = login(Client(), nurse)
    supply = call(
        client,
        "POST",
        f"{API}/authorisations/{authorised.pk}/supplies",
        _dispense_body(second_nurse),
    ).json()
    other = login(Client(), outsider)
    assert call(other, "GET", f"{API}/supplies/{supply['id']}").status_code == 404
    assert call(other, "GET", f"{API}/courses/{authorised.course_id}").status_code == 404
    assert call(other, "GET", f"{API}/supplies").json() == []
    assert call(other, "GET", f"{API}/authorisations").json() == []
    assert call(other, "GET", f"{API}/stock").json()["lots"] == []
