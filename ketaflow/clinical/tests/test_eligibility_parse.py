"""Patient facts from decoded JSON: the core's field names, everything checked, unknown refused."""

from __future__ import annotations

import pytest

from ketaflow.clinical.eligibility import (
    BloodPressure,
    ClearanceItem,
    DrugClass,
    HistoryItem,
    Medication,
    PregnancyStatus,
)
from ketaflow.clinical.eligibility.parse import facts_from_data
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route, Sex

MINIMAL = {"age_years": 40, "sex": "male", "pregnancy": "not_applicable", "planned_route": "sc"}


def test_a_full_record_maps_onto_patient_facts():
    facts = facts_from_data(
        {
            **MINIMAL,
            "diagnoses": ["f411", "F20.0"],
            "history": ["psychosis_current", "luts_or_cystitis"],
            "medications": [
                {
                    "name": "lorazepam",
                    "classes": ["benzodiazepine"],
                    "diazepam_equivalent_mg_per_day": 20,
                },
                {"name": "tramadol", "classes": ["opioid"]},
            ],
            "blood_pressure": {"sbp": 130, "dbp": 85},
            "severity_scores": {"hama": 22, "lsas": 70.5},
            "failed_adequate_treatments": 3,
            "clearance_done": ["ecg", "luts_screen"],
        }
    )
    assert facts.sex is Sex.MALE
    assert facts.pregnancy is PregnancyStatus.NOT_APPLICABLE
    assert facts.planned_route is Route.SC
    assert facts.diagnoses == ("F41.1", "F20.0")
    assert facts.history == {HistoryItem.PSYCHOSIS_CURRENT, HistoryItem.LUTS_OR_CYSTITIS}
    assert facts.medications == (
        Medication("lorazepam", frozenset({DrugClass.BENZODIAZEPINE}), 20.0),
        Medication("tramadol", frozenset({DrugClass.OPIOID})),
    )
    assert facts.blood_pressure == BloodPressure(130, 85)
    assert dict(facts.severity_scores) == {"hama": 22.0, "lsas": 70.5}
    assert facts.failed_adequate_treatments == 3
    assert facts.clearance_done == {ClearanceItem.ECG, ClearanceItem.LUTS_SCREEN}


def test_only_the_four_required_fields_are_needed():
    facts = facts_from_data(MINIMAL)
    assert facts.diagnoses == () and facts.blood_pressure is None
    assert facts.failed_adequate_treatments is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], None),
        ({**MINIMAL, "colour": "red"}, "colour"),
        ({**MINIMAL, "history": "mania"}, "history"),
        (
            {**MINIMAL, "medications": [{"name": "x", "classes": "opioid"}]},
            "medications[0].classes",
        ),
        ({**MINIMAL, "medications": ["x"]}, "medications[0]"),
        ({**MINIMAL, "blood_pressure": [120, 80]}, "blood_pressure"),
        ({**MINIMAL, "blood_pressure": {"sbp": 120.5, "dbp": 80}}, "blood_pressure.sbp"),
        ({**MINIMAL, "severity_scores": {"hama": float("nan")}}, "severity_scores.hama"),
    ],
)
def test_invalid_data_names_the_field(data, field):
    with pytest.raises(ClinicalInputError) as info:
        facts_from_data(data)
    assert info.value.field == field
