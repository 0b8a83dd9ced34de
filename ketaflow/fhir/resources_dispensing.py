"""Take-home supplies as FHIR MedicationDispense (issue #16).

Each `dispensing.Supply` is one MedicationDispense: the drug as a contained Medication (racemic
ketamine's UNII, with the lot and its expiry as `batch`), the quantity in units and the days it
covers, who dispensed and who witnessed, when it was handed over, the authorised dose
schedule as the dosage instruction, and a first fill or refill. A supply marked entered in
error goes out with status entered-in-error and its reason, so a receiver sees the correction.
"""

from __future__ import annotations

from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel as Resource

from ketaflow.dispensing.models import EntryStatus, Supply
from ketaflow.fhir import codes, ids
from ketaflow.fhir.resources_common import build, instant, patient_ref, person, quantity

#: Performer roles, as text (no verified code for a controlled-substance witness).
DISPENSER = "Dispensed by"
WITNESS = "Witnessed by (controlled-substance log)"


def _medication(supply: Supply) -> dict[str, Any]:
    return {
        "resourceType": "Medication",
        "id": "drug",
        "code": codes.concept(codes.UNII, "O18YUO0I83", "Ketamine hydrochloride"),
        "form": {"text": supply.get_dosage_form_display()},
        "batch": {"lotNumber": supply.lot, "expirationDate": supply.expires_on.isoformat()},
    }


def medication_dispense(supply: Supply) -> Resource:
    auth = supply.authorisation
    status = "entered-in-error" if supply.status == EntryStatus.ENTERED_IN_ERROR else "completed"
    performers = []
    for role, user in ((DISPENSER, supply.dispensed_by), (WITNESS, supply.witnessed_by)):
        actor = person(user)
        if actor:
            performers.append({"function": {"text": role}, "actor": actor})
    notes = [
        f"{supply.product}; take-home supply for course {supply.course_id}",
        "Patient acknowledged the storage and no-driving rules "
        f"(version {supply.acknowledgement_version}).",
    ]
    if supply.pdmp_override_reason:
        notes.append(f"PDMP check overdue, overridden: {supply.pdmp_override_reason}")
    if status == "entered-in-error":
        notes.append(f"Entered in error: {supply.status_reason or 'no reason given'}")
    data: dict[str, Any] = {
        "resourceType": "MedicationDispense",
        "id": ids.make("mdisp", supply.pk),
        "contained": [_medication(supply)],
        "status": codes.allowed_code("MedicationDispense", "status", status),
        "medicationReference": {"reference": "#drug"},
        "subject": patient_ref(supply.patient_id),
        "performer": performers,
        "type": {"text": "Refill" if supply.fill_number else "First fill"},
        "quantity": {"value": supply.quantity, "unit": supply.get_dosage_form_display()},
        "daysSupply": {"value": supply.days_supply, "unit": "days"},
        "whenHandedOver": instant(supply.dispensed_at),
        "dosageInstruction": [
            {
                "text": (
                    f"{auth.units_per_dose} x {auth.strength_mg:g} mg every "
                    f"{auth.dose_interval_days} day(s), as authorised"
                ),
                "timing": {
                    "repeat": {"frequency": 1, "period": auth.dose_interval_days, "periodUnit": "d"}
                },
                "doseAndRate": [{"doseQuantity": quantity(auth.dose_mg, "mg")}],
            }
        ],
        "note": [{"text": n} for n in notes],
    }
    return build(data)
