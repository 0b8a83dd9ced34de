"""The API breaks the glass through the same service and reads the same emergency view: a
refusal is audited as denied, the view stops at the expiry, and the admins list the grant."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from ketaflow.audit.models import AccessEvent, Action
from ketaflow.lib.tests.api_client import call
from ketaflow.patients.services import add_entry

pytestmark = pytest.mark.django_db


def test_break_read_expire_and_list(
    clinic: Any,
    sister_nurse: Any,
    clinic_admin: Any,
    nurse: Any,
    patient: Any,
    signed_in: Any,
    clock: Any,
    settings: Any,
) -> None:
    add_entry(nurse, patient, "allergies", {"substance": "Penicillin", "severity": "severe"})
    client = signed_in(sister_nurse)
    body = {
        "clinic": clinic.pk,
        "date_of_birth": "1985-04-12",
        "mrn": "KF-000001",
        "kind": "acute",
        "reason": "short",
    }
    refused = call(client, "POST", "/emergency/grants", body)
    assert refused.status_code == 422
    assert AccessEvent.objects.get(actor=sister_nurse, action=Action.DENIED).detail["why"] == (
        "no reason"
    )
    created = call(
        client, "POST", "/emergency/grants", {**body, "reason": "Collapsed in our waiting room"}
    )
    assert created.status_code == 201
    grant = created.json()["id"]
    start = datetime.fromisoformat(created.json()["granted_at"])
    view = call(client, "GET", f"/emergency/grants/{grant}").json()
    assert view["family_name"] == "Doe" and view["allergies"] == ["Penicillin"]
    assert view["minutes_left"] == 60 and view["sessions"] == []
    listed = call(signed_in(clinic_admin), "GET", "/emergency/reviews").json()
    assert [g["grant"]["id"] for g in listed] == [grant] and listed[0]["reviews"] == []
    settings.IDLE_TIMEOUT_MINUTES = 120  # the session outlives the grant
    clock(start + timedelta(minutes=50))
    assert call(client, "GET", f"/emergency/grants/{grant}").json()["minutes_left"] == 10
    clock(start + timedelta(hours=1, seconds=1))
    assert call(client, "GET", f"/emergency/grants/{grant}").status_code == 403
