"""Chart entry forms ask what matters (an adequate trial is a required yes/no, never a box
left unticked) and start "observed on" / "measured on" at the clinic's today."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from ketaflow.patients.models import PriorTreatment

pytestmark = pytest.mark.django_db

TRIAL = {"kind": "ssri", "name": "Sertraline", "outcome": "no_response"}


def add_trial(client, patient, **data):
    return client.post(f"/patients/{patient.pk}/chart/prior-treatments/add/", {**TRIAL, **data})


def test_an_adequate_trial_must_be_answered(client, login, nurse, patient):
    login(client, nurse)
    response = add_trial(client, patient)
    assert response.status_code == 200
    assert "Say whether this was an adequate trial." in response.content.decode()
    assert not PriorTreatment.objects.filter(patient=patient).exists()


@pytest.mark.parametrize(
    ("answer", "stored"), [("True", True), ("False", False), ("unknown", None)]
)
def test_yes_no_and_not_known_are_each_recorded(client, login, nurse, patient, answer, stored):
    login(client, nurse)
    assert add_trial(client, patient, adequate=answer).status_code == 302
    assert PriorTreatment.objects.get(patient=patient).adequate is stored


def test_the_form_offers_yes_no_and_not_known_with_none_chosen(client, login, nurse, patient):
    html = login(client, nurse).get(f"/patients/{patient.pk}/chart/prior-treatments/add/")
    text = html.content.decode()
    radios = re.findall(r'<input type="radio" name="adequate"[^>]*>', text)
    assert [re.search(r'value="([^"]*)"', r).group(1) for r in radios] == [
        "True",
        "False",
        "unknown",
    ]
    assert not any("checked" in r for r in radios)
    assert ">Not known<" in text or "Not known</label>" in text
    assert 'type="checkbox" name="adequate"' not in text


def test_amending_shows_the_recorded_answer(client, login, nurse, patient):
    from ketaflow.patients.services import add_entry

    entry = add_entry(nurse, patient, "prior-treatments", {**TRIAL, "adequate": False})
    login(client, nurse)
    url = f"/patients/{patient.pk}/chart/prior-treatments/{entry.pk}/amend/"
    text = client.get(url).content.decode()
    assert re.search(r'<input type="radio" name="adequate" value="False"[^>]*checked', text)
    response = client.post(url, {**TRIAL, "adequate": "False", "status": "active", "reason": "x"})
    assert "Nothing was changed" in response.content.decode()  # the answer reads as unchanged
    client.post(url, {**TRIAL, "adequate": "True", "status": "active", "reason": "GP letter"})
    entry.refresh_from_db()
    assert entry.adequate is True


def test_amending_a_not_known_answer_shows_it_and_a_later_yes_counts(client, login, nurse, patient):
    from ketaflow.patients.services import add_entry

    entry = add_entry(
        nurse, patient, "prior-treatments", {**TRIAL, "adequate": None, "outcome": "no_response"}
    )
    assert entry.adequate is None and not entry.counts_as_failed_adequate_trial
    login(client, nurse)
    url = f"/patients/{patient.pk}/chart/prior-treatments/{entry.pk}/amend/"
    text = client.get(url).content.decode()
    assert re.search(r'<input type="radio" name="adequate" value="unknown"[^>]*checked', text)
    same = {**TRIAL, "outcome": "no_response", "adequate": "unknown", "status": "active"}
    response = client.post(url, {**same, "reason": "x"})
    assert "Nothing was changed" in response.content.decode()
    client.post(url, {**same, "adequate": "True", "reason": "GP letter: 12 weeks at 150 mg"})
    entry.refresh_from_db()
    assert entry.adequate is True and entry.counts_as_failed_adequate_trial


def test_observed_and_measured_on_start_at_the_clinics_today(client, login, nurse, patient, clock):
    """Late evening in UTC is already tomorrow in Auckland: the clinic's day is shown."""
    clinic = patient.clinic
    clinic.timezone = "Pacific/Auckland"
    clinic.save()
    clock(datetime(2026, 11, 25, 20, 0, tzinfo=UTC))  # 26 Nov 09:00 in Auckland
    login(client, nurse)
    chart = client.get(f"/patients/{patient.pk}/chart/").content.decode()
    for name in ("pregnancy_observed_on", "measurements_measured_on"):
        field = re.search(rf'<input[^>]*id="id_{name}"[^>]*>', chart)
        assert field and 'value="2026-11-26"' in field.group(0), name
    page = client.get(f"/patients/{patient.pk}/chart/pregnancy/add/").content.decode()
    assert 'value="2026-11-26"' in page
    # A start or onset date is asked, never assumed.
    onset = re.search(r'<input[^>]*id="id_medications_started_on"[^>]*>', chart)
    assert onset and "value=" not in onset.group(0)
