"""Recording a scale (or vitals) redraws the discharge panel too, out of band."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db


def test_a_moaas_score_updates_the_discharge_panel_in_the_same_response(
    client: Any, login: Any, nurse: Any, observing: Any
) -> None:
    services.record_vitals(
        nurse,
        observing,
        fresh(observing).version,
        sbp=124,
        dbp=80,
        hr=72,
        spo2=98,
        rr=14,
        taken_at=ago(2),
    )
    c = login(client, nurse)
    page = c.get(reverse("treatments:session", args=[observing.pk])).content.decode()
    assert "Record a MOAA/S score." in page
    r = c.post(
        reverse("treatments:scale", args=[observing.pk, "moaas"]),
        {"version": fresh(observing).version, "moaas-responsiveness": "5"},
        HTTP_HX_REQUEST="true",
    )
    body = r.content.decode()
    assert '<section class="card" id="discharge" hx-swap-oob="true">' in body
    panel = body.split('id="discharge"')[1]
    assert "Record a MOAA/S score." not in panel
    assert f'name="version" value="{fresh(observing).version}"' in panel
