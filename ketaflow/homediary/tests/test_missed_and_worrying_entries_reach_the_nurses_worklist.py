"""Dose days with no entry, unacknowledged and worrying entries and open home alerts are on
the nurse's worklist, each pointing at the patient's diary page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from ketaflow.homediary import selectors
from ketaflow.homediary.tests.conftest import at, diary_path, entry_data
from ketaflow.web.worklists import sections

pytestmark = pytest.mark.django_db


def _section(user: Any, key: str) -> Any:
    return next(s for s in sections(user) if s.key == key)


def test_missed_dose_days_by_the_authorised_schedule_are_listed(
    issue: Any,
    patient: Any,
    supply: Any,
    nurse: Any,
    today: Any,
    clinic: Any,
    portal_client: Client,
) -> None:
    # Dispensed 8 days ago, 5 doses every 2 days from that day: -8, -6, -4, -2, 0 (today is
    # not over yet).
    issued = issue(patient)
    from ketaflow.homediary import services
    from ketaflow.homediary.services import DiaryInput
    from ketaflow.portal.models import PortalLink

    link = PortalLink.objects.get(pk=issued.link.pk)
    when = at(today - timedelta(days=4), 20, clinic)
    services.record_entry(
        link, DiaryInput(taken_at=when, dose_mg=50), now=when + timedelta(hours=1)
    )
    missed = [r.day for r in selectors.missed_entries(nurse, today)]
    assert missed == [today - timedelta(days=d) for d in (8, 6, 2)]
    section = _section(nurse, "home-missed")
    assert section.total == 3
    assert all(f"/homediary/patients/{patient.pk}/" == i.url for i in section.items)
    assert f"{(today - timedelta(days=8)):%a %d %b}" in section.items[0].text


def test_a_worrying_entry_and_its_alert_are_urgent_on_the_worklist(
    issue: Any, patient: Any, supply: Any, nurse: Any, prescriber: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    portal_client.post(diary_path(issued), entry_data(fainted="on"))
    doses = _section(nurse, "home-doses")
    assert doses.total == 1 and doses.items[0].urgent
    assert "fainting" in doses.items[0].note
    alerts = _section(nurse, "home-alerts")
    assert alerts.urgent and len(alerts.items) == 1
    assert _section(prescriber, "home-alerts").items  # prescribers see home alerts too


def test_the_staff_diary_page_lists_entries_and_takes_the_acknowledgement(
    issue: Any, patient: Any, supply: Any, nurse: Any, login: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    portal_client.post(diary_path(issued), entry_data(sbp="190", dbp="100"))
    staff = login(Client(), nurse)
    page = staff.get(f"/homediary/patients/{patient.pk}/").content.decode()
    assert "190/100" in page and "act-now level" in page
    entry = selectors.entries_to_review(nurse)[0].entry
    staff.post(f"/homediary/entries/{entry.pk}/acknowledge/", {"note": "Rechecked: 150/90."})
    entry.refresh_from_db()
    assert entry.acknowledged_by == nurse and entry.acknowledged_note == "Rechecked: 150/90."
    assert _section(nurse, "home-doses").total == 0
    assert _section(nurse, "home-alerts").items == []
    page = staff.get(f"/homediary/patients/{patient.pk}/").content.decode()
    assert "Rechecked: 150/90." in page and nurse.display_name in page
