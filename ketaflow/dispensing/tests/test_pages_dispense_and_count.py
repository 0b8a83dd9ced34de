"""Through the pages: a nurse dispenses a witnessed supply, then a count finds a missing unit."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from ketaflow.dispensing.models import ReconciliationLine, Supply


def test_dispense_then_count_through_the_pages(
    login, nurse, second_nurse, authorised, stock, pdmp_checked
):
    client = login(Client(), nurse)
    url = reverse("dispensing:dispense", args=[authorised.pk])
    page = client.get(url).content.decode()
    assert "storage rules" in page and "PDMP checked" in page and "At most 10 units" in page
    body = {"quantity": 10, "lot": "LOT-A1", "witness": second_nurse.pk}
    refused = client.post(url, body)  # no acknowledgement from the patient
    assert refused.status_code == 200 and not Supply.objects.exists()
    done = client.post(url, {**body, "storage_acknowledged": "on", "no_driving_acknowledged": "on"})
    assert done.status_code == 302
    assert Supply.objects.get().witnessed_by == second_nurse
    panel = client.get(reverse("dispensing:course", args=[authorised.course_id])).content
    assert b"LOT-A1" in panel
    counted = client.post(
        reverse("dispensing:count"), {"lot_0": 89, "witness": second_nurse.pk, "note": ""}
    )
    assert counted.status_code == 302
    line = ReconciliationLine.objects.get()
    assert line.difference == -1
    stock_page = client.get(reverse("dispensing:stock")).content.decode()
    assert "Open discrepancies" in stock_page and "counted 89, expected 90" in stock_page
