"""Today's weight keeps its decimals (70.4 kg) on the page and in the API, to 0.1 kg."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.patients.models import Measurement
from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db


def _weights(session: Any) -> list[Decimal]:
    return list(
        Measurement.objects.filter(patient=session.patient, kind="weight")
        .order_by("-pk")
        .values_list("entered_value", flat=True)
    )


def test_the_page_saves_a_weight_with_one_decimal_and_the_other_answers(
    client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    url = reverse("treatments:act", args=[checked_in.pk, "checklist"])
    r = login(client, nurse).post(
        url, {"version": checked_in.version, "weight_kg": "70.4", "escort_name": "Sam"}, follow=True
    )
    body = r.content.decode()
    assert "Saved." in body and "entered_value" not in body
    assert _weights(checked_in)[0] == Decimal("70.4")
    assert fresh(checked_in).checklist_answers.get().escort_name == "Sam"


def test_more_decimals_are_rounded_to_a_tenth_and_nonsense_gets_a_human_message(
    client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    c = login(client, nurse)
    url = reverse("treatments:act", args=[checked_in.pk, "checklist"])
    c.post(url, {"version": checked_in.version, "weight_kg": "70.46"})
    assert _weights(checked_in)[0] == Decimal("70.5")
    r = c.post(url, {"version": fresh(checked_in).version, "weight_kg": "7o"}, follow=True)
    body = r.content.decode()
    assert "Today&#x27;s weight: Enter a number, e.g. 70.4." in body
    assert "weight_kg" not in body.split('name="weight_kg"')[0].split("<main")[-1]


def test_the_api_takes_a_decimal_weight(
    client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    r = login(client, nurse).post(
        f"/api/v1/treatments/{checked_in.pk}/checklist",
        {"version": checked_in.version, "weight_kg": 70.4},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert _weights(checked_in)[0] == Decimal("70.4")
