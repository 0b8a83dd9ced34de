"""The sheet a patient takes home: the instructions, and the clinic's number to call."""

from __future__ import annotations

from typing import Any


def test_the_sheet_gives_the_clinics_number_as_a_tap_to_call_link(
    discharged: Any, nurse: Any, client: Any, login: Any
) -> None:
    clinic = discharged.patient.clinic
    login(client, nurse)
    url = f"/treatments/{discharged.pk}/instructions/"
    page = client.get(url).content.decode()
    assert "<h1>Going home after your treatment</h1>" in page
    assert "tel:" not in page.split('id="main"')[1]  # no number recorded: none invented
    clinic.phone = "01632 960000"
    clinic.save(update_fields=["phone"])
    page = client.get(url).content.decode()
    assert '<a href="tel:01632960000">01632 960000</a>' in page
