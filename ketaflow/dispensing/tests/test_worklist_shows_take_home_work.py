"""The worklists carry take-home work: early refills (prescribers), PDMP checks due and stock
discrepancies (nurses and prescribers), each one click from where it is done."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse

from ketaflow.dispensing import services
from ketaflow.dispensing.tests.conftest import dispense
from ketaflow.web.worklists import sections


def _section(user, key):
    return next(s for s in sections(user) if s.key == key)


def test_an_early_refill_request_waits_on_the_prescribers_worklist(
    clock, prescriber, nurse, second_nurse, authorised, stock, pdmp_checked
):
    first = dispense(nurse, authorised, second_nurse)
    clock(first.dispensed_at + timedelta(days=5))
    request = services.request_refill(nurse, authorised)
    (item,) = _section(prescriber, "early-refills").items
    assert item.url == reverse("dispensing:decide_refill", args=[request.pk])
    assert "early refill" in item.text and item.urgent
    assert "early-refills" not in {s.key for s in sections(nurse)}


def test_a_pdmp_check_due_and_a_discrepancy_show_for_nurses(nurse, second_nurse, authorised, stock):
    (due,) = _section(nurse, "pdmp-due").items
    assert due.url == reverse("dispensing:pdmp_check", args=[authorised.course_id])
    rec = services.reconcile(nurse, counts={"LOT-A1": 99}, witness=second_nurse)
    (gap,) = _section(nurse, "stock-discrepancies").items
    assert gap.url == reverse("dispensing:explain", args=[rec.lines.get().pk])


def test_the_home_page_draws_them(login, nurse, second_nurse, authorised, stock):
    services.reconcile(nurse, counts={"LOT-A1": 99}, witness=second_nurse)
    body = login(Client(), nurse).get("/").content.decode()
    assert "PDMP checks due" in body and "Controlled-stock discrepancies" in body


def test_the_authorise_page_shows_the_warning_and_refuses_before_supervised_doses(
    login, prescriber, course, supervised
):
    from ketaflow.dispensing.tests.conftest import AUTH

    supervised(1)
    client = login(Client(), prescriber)
    url = reverse("dispensing:authorise", args=[course.pk])
    page = client.get(url).content.decode()
    assert "strongly discouraged" in page and "S34" in page
    response = client.post(url, {**AUTH, "warning_acknowledged": "on"})
    assert response.status_code == 200
    assert "3 supervised doses in a row" in response.content.decode()
    supervised(2)
    response = client.post(url, {**AUTH, "warning_acknowledged": "on"})
    assert response.status_code == 302
