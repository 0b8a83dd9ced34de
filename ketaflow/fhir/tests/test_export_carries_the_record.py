"""Export → parse → the same values as the record: chart, consent, scales, sessions, doses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from ketaflow.fhir import derive
from ketaflow.fhir.bundle import bundle, patient_resources
from ketaflow.fhir.resources_common import to_json
from ketaflow.fhir.tests.conftest import all_resources, by_id

pytestmark = pytest.mark.django_db


def _parsed(world: Any) -> dict[str, dict[str, Any]]:
    """Through a Bundle and back with fhir.resources, as a receiver would read it."""
    now = timezone.now()
    raw = to_json(
        bundle(patient_resources(derive.load(world.patient), now), kind="collection", now=now)
    )
    parsed = Bundle.model_validate_json(json.dumps(raw))
    return by_id([to_json(e.resource) for e in parsed.entry])


def test_the_patient_is_identified_by_mrn(world: Any) -> None:
    p = _parsed(world)[f"Patient/pat-{world.patient.pk}"]
    assert p["identifier"][0]["value"] == "KF-000001"
    assert p["name"][0] == {"use": "official", "family": "Doe", "given": ["Jane"]}
    assert p["birthDate"] == "1985-04-12" and p["gender"] == "female"


def test_diagnoses_carry_icd10cm_codes_and_corrections(world: Any) -> None:
    r = _parsed(world)
    gad = r[f"Condition/dx-{world.entries['gad'].pk}"]
    assert gad["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "F41.1",
        "display": "Generalized anxiety disorder",
    }
    assert gad["clinicalStatus"]["coding"][0]["code"] == "active"
    other = r[f"Condition/dx-{world.entries['other_dx'].pk}"]
    assert "coding" not in other["code"] and other["code"]["text"].startswith("F43.22")
    wrong = r[f"Condition/dx-{world.entries['wrong_dx'].pk}"]
    assert wrong["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in wrong


def test_medications_and_allergies(world: Any) -> None:
    r = _parsed(world)
    med = r[f"MedicationStatement/med-{world.entries['sertraline'].pk}"]
    assert med["status"] == "active"
    assert med["medicationCodeableConcept"] == {"text": "sertraline"}
    assert med["dosage"] == [{"text": "100 mg daily"}]
    allergy = r[f"AllergyIntolerance/alg-{world.entries['penicillin'].pk}"]
    assert allergy["code"] == {"text": "penicillin"}
    assert allergy["reaction"][0] == {"manifestation": [{"text": "rash"}], "severity": "moderate"}


def test_a_withdrawn_consent_is_inactive_and_the_current_one_active(world: Any) -> None:
    r = _parsed(world)
    withdrawn, current = world.consents
    old = r[f"Consent/consent-{withdrawn.pk}"]
    assert old["status"] == "inactive"
    assert old["provision"]["period"]["end"]
    assert "version 1" in old["policyRule"]["text"]
    assert r[f"Consent/consent-{current.pk}"]["status"] == "active"


def test_licensed_scales_carry_no_item_wording(world: Any) -> None:
    r = _parsed(world)
    gad7 = r["Questionnaire/gad7"]
    assert gad7["item"][0]["text"] == "Feeling nervous, anxious, or on edge"
    assert gad7["item"][0]["code"][0]["code"] == "69725-0"
    hama = r["Questionnaire/hama"]
    from ketaflow.clinical.instruments import HAMA

    assert [i["text"] for i in hama["item"]] == [i.label for i in HAMA.items]
    assert all("code" not in i for i in hama["item"])
    ybocs = r["Questionnaire/ybocs"]
    assert [i["linkId"] for i in ybocs["item"]] == ["total"]
    assert [i["linkId"] for i in r["Questionnaire/pdss"]["item"]] == ["total", "agoraphobia"]
    assert [i["linkId"] for i in r["Questionnaire/cssrs"]["item"]] == ["risk_level"]


def test_answers_and_scores_round_trip(world: Any) -> None:
    r = _parsed(world)
    gad = world.responses["gad7"]
    qr = r[f"QuestionnaireResponse/qr-{gad.pk}"]
    la = {"LA6568-5": 0, "LA6569-3": 1, "LA6570-1": 2, "LA6571-9": 3}
    assert [la[i["answer"][0]["valueCoding"]["code"]] for i in qr["item"]] == [1, 1, 1, 1, 0, 1, 2]
    score = r[f"Observation/score-{gad.pk}"]
    assert score["code"]["coding"][0]["code"] == "70274-6"
    assert score["valueInteger"] == 7
    assert score["interpretation"][0]["text"] == gad.severity
    phq = world.responses["phq9"]
    phq_score = r[f"Observation/score-{phq.pk}"]
    assert phq_score["code"]["coding"][0]["code"] == "44261-6" and phq_score["valueInteger"] == 12
    difficulty = r[f"QuestionnaireResponse/qr-{phq.pk}"]["item"][-1]
    assert difficulty == {
        "linkId": "difficulty",
        "text": difficulty["text"],
        "answer": [{"valueInteger": 1}],
    }
    hama = r[f"Observation/score-{world.responses['hama'].pk}"]
    assert hama["code"] == {"text": "HAM-A total score"} and hama["valueInteger"] == 28
    cssrs = r[f"Observation/score-{world.responses['cssrs'].pk}"]
    assert cssrs["valueString"] == "low"
    pdss = r[f"QuestionnaireResponse/qr-{world.responses['pdss'].pk}"]
    assert pdss["item"] == [
        {"linkId": "total", "answer": [{"valueInteger": 12}]},
        {"linkId": "agoraphobia", "answer": [{"valueBoolean": True}]},
    ]


def test_vitals_are_loinc_coded_with_ucum_units(world: Any) -> None:
    r = _parsed(world)
    reading = world.session.vitals.order_by("taken_at").first()
    bp = r[f"Observation/vs-{reading.pk}-bp"]
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
        for c in bp["component"]
    ] == [
        ("8480-6", 122.0, "mm[Hg]"),
        ("8462-4", 78.0, "mm[Hg]"),
    ]
    assert bp["encounter"]["reference"] == f"Encounter/enc-{world.session.pk}"
    hr = r[f"Observation/vs-{reading.pk}-hr"]
    assert (hr["code"]["coding"][0]["code"], hr["valueQuantity"]["code"]) == ("8867-4", "/min")
    spo2 = r[f"Observation/vs-{reading.pk}-spo2"]
    assert (spo2["code"]["coding"][0]["code"], spo2["valueQuantity"]["code"]) == ("59408-5", "%")
    assert r[f"Observation/vs-{reading.pk}-rr"]["code"]["coding"][0]["code"] == "9279-1"
    resting = r[f"Observation/rbp-{world.resting_bp.pk}"]
    assert [c["valueQuantity"]["value"] for c in resting["component"]] == [128.0, 82.0]
    height = r[f"Observation/meas-{world.entries['height'].pk}"]
    assert height["code"]["coding"][0]["code"] == "8302-2"
    assert height["valueQuantity"]["value"] == 168.0


def test_each_dose_is_a_medication_administration_from_the_events(world: Any) -> None:
    r = _parsed(world)
    session = world.session
    infusion = r[f"MedicationAdministration/mai-{session.pk}"]
    assert infusion["status"] == "completed"
    # 52.5 mL/h at 1 mg/mL for 40 minutes = 35 mg, computed from the events by the core
    # (the fixture's start and stop are two clock reads apart: a few ms more, hence approx).
    dose = infusion["dosage"]["dose"]
    assert dose["value"] == pytest.approx(35.0, abs=0.01)
    assert (dose["unit"], dose["system"], dose["code"]) == ("mg", "http://unitsofmeasure.org", "mg")
    assert infusion["dosage"]["rateQuantity"]["value"] == 0.875
    assert infusion["dosage"]["route"]["coding"][0]["code"] == "47625008"
    start = session.events.get(kind="start", entered_in_error_at__isnull=True)
    stop = session.events.get(kind="stop")
    from ketaflow.fhir.resources_common import instant

    assert infusion["effectivePeriod"] == {"start": instant(start.at), "end": instant(stop.at)}
    assert infusion["contained"][0]["batch"] == {"lotNumber": "LOT-2026-A"}
    assert infusion["contained"][0]["code"]["coding"][0]["code"] == "O18YUO0I83"
    assert infusion["context"]["reference"] == f"Encounter/enc-{session.pk}"
    bolus = r[f"MedicationAdministration/mae-{world.bolus.pk}"]
    assert bolus["status"] == "completed" and bolus["dosage"]["dose"]["value"] == 5.0
    struck = r[f"MedicationAdministration/mae-{world.struck.pk}"]
    assert struck["status"] == "entered-in-error"
    assert struck["note"] == [{"text": "Entered in error: Wrong pump channel"}]


def test_the_session_is_an_encounter_with_a_procedure(world: Any) -> None:
    r = _parsed(world)
    session = world.session
    encounter = r[f"Encounter/enc-{session.pk}"]
    assert encounter["status"] == "finished"
    assert encounter["class"]["code"] == "AMB"
    assert "end" in encounter["period"]
    procedure = r[f"Procedure/proc-{session.pk}"]
    assert procedure["status"] == "completed"
    assert procedure["encounter"]["reference"] == f"Encounter/enc-{session.pk}"


def test_a_running_infusion_is_in_progress_with_the_dose_so_far(ordered: Any, nurse: Any) -> None:
    from datetime import timedelta

    from ketaflow.treatments.services import record_administration

    started = timezone.now() - timedelta(minutes=20)
    record_administration(
        nurse, ordered, ordered.version, kind="start", rate_ml_per_h=52.5, at=started
    )
    loaded = derive.load(ordered.patient)
    now = started + timedelta(minutes=10)
    resources = by_id([to_json(x) for x in patient_resources(loaded, now)])
    infusion = resources[f"MedicationAdministration/mai-{ordered.pk}"]
    assert infusion["status"] == "in-progress"
    assert "end" not in infusion["effectivePeriod"]
    assert infusion["dosage"]["dose"]["value"] == 8.75  # 0.875 mg/min x 10 min
    assert resources[f"Procedure/proc-{ordered.pk}"]["status"] == "in-progress"


def test_all_resources_helper_matches_bundle(world: Any) -> None:
    assert len(all_resources(world)) == len(_parsed(world))
