"""Each take-home supply goes out as a MedicationDispense in the patient's FHIR export."""

from __future__ import annotations

from django.utils import timezone

from ketaflow.dispensing import services
from ketaflow.dispensing.tests.conftest import dispense
from ketaflow.fhir import derive
from ketaflow.fhir.bundle import patient_resources
from ketaflow.fhir.resources_common import to_json


def _dispenses(patient):
    return [
        r
        for r in (to_json(x) for x in patient_resources(derive.load(patient), timezone.now()))
        if r["resourceType"] == "MedicationDispense"
    ]


def test_a_supply_is_a_medication_dispense_with_lot_quantity_and_witness(
    nurse, second_nurse, prescriber, patient, authorised, stock, pdmp_checked
):
    supply = dispense(nurse, authorised, second_nurse, quantity=10)
    (md,) = _dispenses(patient)
    assert md["id"] == f"mdisp-{supply.pk}" and md["status"] == "completed"
    assert md["contained"][0]["batch"]["lotNumber"] == "LOT-A1"
    assert md["contained"][0]["code"]["coding"][0]["code"] == "O18YUO0I83"
    assert md["quantity"]["value"] == 10 and md["daysSupply"]["value"] == 30
    roles = {p["function"]["text"]: p["actor"]["display"] for p in md["performer"]}
    assert len(roles) == 2 and second_nurse.display_name in roles.values()
    assert md["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 50
    services.mark_supply_entered_in_error(prescriber, supply, "Wrong patient label")
    (md,) = _dispenses(patient)
    assert md["status"] == "entered-in-error"
    assert any("Wrong patient label" in n["text"] for n in md["note"])


def test_another_patients_export_has_none(
    outsider_patient, nurse, second_nurse, authorised, stock, pdmp_checked
):
    dispense(nurse, authorised, second_nurse)
    assert _dispenses(outsider_patient) == []
