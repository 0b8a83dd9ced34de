"""The clearance form's "done at" starts at the clinic's now, in the clinic's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.django_db


def test_done_at_starts_at_the_clinics_local_now(client, login, nurse, patient, clock):
    clinic = patient.clinic
    clinic.timezone = "Pacific/Auckland"
    clinic.save()
    clock(datetime(2026, 11, 25, 20, 0, tzinfo=UTC))  # 26 Nov 09:00 in Auckland
    html = login(client, nurse).get(f"/screening/patients/{patient.pk}/clearance/add/")
    assert 'value="2026-11-26T09:00"' in html.content.decode()
