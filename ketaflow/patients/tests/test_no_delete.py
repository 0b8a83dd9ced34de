"""Clinical records are never deleted: not one at a time, not in bulk."""

from datetime import date
from decimal import Decimal

import pytest

from ketaflow.audit.history import RecordDeletionError
from ketaflow.patients.models import (
    Allergy,
    Diagnosis,
    HistoryItem,
    Measurement,
    Medication,
    Patient,
    PregnancyRecord,
    PriorTreatment,
)


@pytest.fixture
def records(patient, nurse):
    common = {"patient": patient, "recorded_by": nurse}
    return [
        patient,
        Diagnosis.objects.create(code="F41.1", **common),
        HistoryItem.objects.create(condition="hypertension", presence="absent", **common),
        Medication.objects.create(name="Sertraline", **common),
        PriorTreatment.objects.create(
            kind="ssri", name="Sertraline", adequate=True, outcome="no_response", **common
        ),
        Allergy.objects.create(substance="Latex", **common),
        Measurement.objects.create(
            kind="weight",
            value=Decimal(70),
            entered_value=Decimal(70),
            entered_unit="kg",
            measured_on=date(2026, 1, 1),
            **common,
        ),
        PregnancyRecord.objects.create(
            observed_on=date(2026, 1, 1), pregnancy_status="not_pregnant", **common
        ),
    ]


def test_no_record_can_be_deleted_through_the_model(records):
    for record in records:
        with pytest.raises(RecordDeletionError):
            record.delete()
        assert type(record).objects.filter(pk=record.pk).exists()


def test_no_record_can_be_deleted_in_bulk(records):
    for record in records:
        model = type(record)
        with pytest.raises(RecordDeletionError):
            model.objects.all().delete()
        with pytest.raises(RecordDeletionError):
            model.objects.filter(pk=record.pk).delete()
        assert model.objects.filter(pk=record.pk).exists()


def test_a_patients_chart_is_not_removed_by_deleting_the_clinic(records, clinic):
    from django.db.models import ProtectedError

    with pytest.raises((ProtectedError, RecordDeletionError)):
        clinic.delete()
    assert Patient.objects.filter(clinic=clinic).exists()
