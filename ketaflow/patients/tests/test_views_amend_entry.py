"""Amending an entry needs a reason and keeps its history; mistakes are struck through."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.audit.models import AccessEvent
from ketaflow.web.tests.factories import a_medication

pytestmark = pytest.mark.django_db


def _amend(med: Any, **changes: Any) -> dict[str, Any]:
    data = {"name": med.name, "dose": med.dose, "classes": med.classes, "status": med.status}
    return {**data, **changes}


def test_an_amendment_changes_the_entry_and_keeps_the_old_version(
    client: Any, login: Any, nurse: Any, patient: Any
) -> None:
    med = a_medication(nurse, patient)
    login(client, nurse)
    url = f"/patients/{patient.pk}/chart/medications/{med.pk}"
    response = client.post(f"{url}/amend/", _amend(med, dose="150 mg daily", reason="Dose up"))
    assert response.status_code == 302
    med.refresh_from_db()
    assert med.dose == "150 mg daily"
    versions = list(med.history.order_by("history_date"))
    assert [v.dose for v in versions] == ["100 mg daily", "150 mg daily"]
    assert versions[-1].history_change_reason == "Dose up"
    history = client.get(f"{url}/history/")
    assert history.status_code == 200
    page = history.content.decode()
    assert "Dose up" in page and "100 mg daily" in page and "150 mg daily" in page
    assert nurse.display_name in page
    newest = history.context["versions"][0]
    assert [r.name for r in newest.changed] == ["dose"]


def test_an_amendment_without_a_reason_changes_nothing(
    client: Any, login: Any, nurse: Any, patient: Any
) -> None:
    med = a_medication(nurse, patient)
    login(client, nurse)
    response = client.post(
        f"/patients/{patient.pk}/chart/medications/{med.pk}/amend/", _amend(med, dose="1 g")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    med.refresh_from_db()
    assert med.dose == "100 mg daily" and med.history.count() == 1
    assert not AccessEvent.objects.filter(action="amend").exists()


def test_an_amendment_that_breaks_a_rule_is_a_field_error(
    client: Any, login: Any, nurse: Any, patient: Any
) -> None:
    med = a_medication(nurse, patient)
    login(client, nurse)
    response = client.post(
        f"/patients/{patient.pk}/chart/medications/{med.pk}/amend/",
        _amend(med, classes=["benzodiazepine"], reason="It is a benzo"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["diazepam_equivalent_mg_per_day"]
    med.refresh_from_db()
    assert med.classes == ["antidepressant"]


def test_marking_entered_in_error_needs_a_reason_and_strikes_the_entry_through(
    client: Any, login: Any, nurse: Any, patient: Any
) -> None:
    med = a_medication(nurse, patient)
    login(client, nurse)
    url = f"/patients/{patient.pk}/chart/medications/{med.pk}/entered-in-error/"
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    med.refresh_from_db()
    assert med.status == "active"

    assert client.post(url, {"reason": "Wrong patient"}).status_code == 302
    med.refresh_from_db()
    assert (med.status, med.status_reason) == ("entered_in_error", "Wrong patient")
    chart = client.get(f"/patients/{patient.pk}/chart/").content.decode()
    assert 'class="entry entry-entered_in_error"' in chart
    assert "Entered in error</span>" in chart and "Wrong patient" in chart
    assert f"/chart/medications/{med.pk}/amend/" not in chart  # no actions but history
    assert f"/chart/medications/{med.pk}/history/" in chart
    assert med.history.count() == 2  # nothing deleted


def test_a_nurse_cannot_amend_a_diagnosis_even_by_posting(
    client: Any, login: Any, nurse: Any, prescriber: Any, patient: Any
) -> None:
    from ketaflow.web.tests.factories import a_diagnosis

    dx = a_diagnosis(prescriber, patient)
    login(client, nurse)
    url = f"/patients/{patient.pk}/chart/diagnoses/{dx.pk}"
    assert client.post(f"{url}/amend/", {"code": "F41.0", "reason": "x"}).status_code == 403
    assert client.post(f"{url}/entered-in-error/", {"reason": "x"}).status_code == 403
    dx.refresh_from_db()
    assert (dx.code, dx.status) == ("F41.1", "active")
