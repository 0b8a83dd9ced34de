"""Before a review is opened, the screening page lists what the protocol needs (from the
core's criteria for that protocol) and where this patient stands on each."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ketaflow.clinical.eligibility import NeedState
from ketaflow.clinical.protocols import builtin
from ketaflow.screening import selectors
from ketaflow.screening.services import record_observation

pytestmark = pytest.mark.django_db


def needs_card(client, patient, query=""):
    html = client.get(f"/screening/patients/{patient.pk}/{query}").content.decode()
    match = re.search(r'<section class="card card-pad" id="needs".*?</section>', html, re.S)
    assert match, "no needs card"
    return match.group(0)


def row(card, what):
    match = re.search(rf"<tr class=\"need[^\"]*\"><td>{re.escape(what)}</td>.*?</tr>", card, re.S)
    assert match, f"no row for {what}"
    return match.group(0)


def test_a_new_patient_sees_every_need_missing_before_any_review(client, login, nurse, patient):
    card = needs_card(login(client, nurse), patient)
    assert "No review yet" not in card
    assert "GAD" not in card  # words, not codes
    assert "for generalised anxiety disorder: a baseline HAM-A above 20" in card
    assert "at least 2 adequate trials" in card
    assert "0 of 2 recorded" in row(card, "Failed adequate trials")
    assert "missing" in row(card, "ECG")
    assert "missing" in row(card, "Liver function tests")
    assert "missing" in row(card, "Resting blood pressure")
    assert "missing" in row(card, "Pregnancy test")  # she can become pregnant
    assert f"/screening/patients/{patient.pk}/clearance/add/?kind=ecg" in card
    assert "_" not in re.sub(r'(href|id|class|name|for|action)="[^"]*"', "", card)


def test_the_needs_of_an_eligible_patient_are_all_recorded(client, login, nurse, eligible_patient):
    card = needs_card(login(client, nurse), eligible_patient)
    assert ">missing<" not in card
    assert "HAM-A 24" in row(card, "Baseline HAM-A")
    assert "2 of 2 recorded" in row(card, "Failed adequate trials")
    assert "recorded" in row(card, "ECG")
    assert "does not apply" in row(card, "Baseline LSAS")


def test_recording_an_item_turns_its_need_to_recorded(client, login, nurse, patient):
    login(client, nurse)
    assert ">missing<" in row(needs_card(client, patient), "ECG")
    record_observation(
        nurse,
        patient,
        kind="ecg",
        observed_at=timezone.now() - timedelta(minutes=1),
        result="normal",
    )
    assert ">recorded<" in row(needs_card(client, patient), "ECG")


def test_the_list_follows_the_protocols_criteria(nurse, patient):
    """Change a criterion of the protocol (a revised threshold and trial count): the list
    changes with it, because it is read off the core's criteria for the protocol."""
    iv = builtin("iv-racemic")
    revised = iv.revise({"entry_thresholds.hama": 30, "min_failed_adequate_treatments": 3})
    before = {n.what: n for n in selectors.needs_for(patient, iv).needs}
    after = {n.what: n for n in selectors.needs_for(patient, revised).needs}
    assert before["baseline HAM-A"].rule.endswith("above 20")
    assert after["baseline HAM-A"].rule.endswith("above 30")
    assert "at least 2 adequate" in before["failed adequate trials"].rule
    assert "at least 3 adequate" in after["failed adequate trials"].rule
    assert after["failed adequate trials"].status == "0 of 3 recorded"


def test_the_page_shows_the_chosen_protocol_and_opens_the_review_under_it(
    client, login, nurse, patient
):
    login(client, nurse)
    html = client.get(f"/screening/patients/{patient.pk}/?protocol=esketamine-label").content
    text = html.decode()
    assert "Esketamine" in needs_card(client, patient, "?protocol=esketamine-label")
    # The open-review form starts on the protocol whose needs are shown.
    assert re.search(r'<option value="esketamine-label" selected>', text)
    # An unknown protocol falls back to the default, not an error.
    assert client.get(f"/screening/patients/{patient.pk}/?protocol=nope").status_code == 200


def test_a_negative_pregnancy_test_shows_the_status_as_settled(client, login, nurse, patient):
    login(client, nurse)
    assert "not known: record a pregnancy test" in needs_card(client, patient)
    record_observation(
        nurse,
        patient,
        kind="pregnancy_test",
        observed_at=timezone.now() - timedelta(minutes=1),
        result="negative",
    )
    card = needs_card(client, patient)
    assert "not pregnant: settled by the negative pregnancy test on 25 Nov 2026" in card
    assert ">recorded<" in row(card, "Pregnancy test")


def test_a_chart_the_core_refuses_lists_the_needs_with_their_state_unknown(patient, monkeypatch):
    from ketaflow.clinical.errors import ClinicalInputError

    def refuse(*args, **kwargs):
        raise ClinicalInputError("a broken chart", field="diagnoses")

    monkeypatch.setattr(selectors, "chart_facts", refuse)
    needs = selectors.needs_for(patient, builtin("iv-racemic"))
    assert needs.chart_problem == "a broken chart"
    assert {n.state for n in needs.needs} == {NeedState.UNKNOWN}


def test_a_trial_whose_adequacy_is_not_known_is_still_to_be_established(
    client, login, nurse, patient
):
    """Issue #13: "not known" is asked and recorded; it does not count as adequate, and the
    card says what is still to be found out instead of calling the patient short."""
    from ketaflow.patients.services import add_entry

    trial = {"kind": "ssri", "outcome": "no_response"}
    add_entry(nurse, patient, "prior-treatments", {**trial, "name": "Sertraline", "adequate": True})
    add_entry(nurse, patient, "prior-treatments", {**trial, "name": "Pregabalin", "adequate": None})
    iv = builtin("iv-racemic")
    need = {n.what: n for n in selectors.needs_for(patient, iv).needs}["failed adequate trials"]
    assert need.state is NeedState.MISSING
    card = row(needs_card(login(client, nurse), patient), "Failed adequate trials")
    assert "1 of 2 recorded; still to be established whether Pregabalin was an adequate trial" in (
        card
    )
