"""Charts in the Django admin: read-only, with change history, never deletable."""

from __future__ import annotations

from django.contrib import admin

from ketaflow.audit.admin import AuditedRecordAdmin
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


@admin.register(Patient)
class PatientAdmin(AuditedRecordAdmin):
    list_display = ("mrn", "family_name", "given_name", "date_of_birth", "clinic", "is_synthetic")
    list_filter = ("clinic", "is_synthetic", "sex_at_birth")
    search_fields = ("mrn", "family_name", "given_name", "preferred_name")
    list_select_related = ("clinic",)


class ChartEntryAdmin(AuditedRecordAdmin):
    """Common shape of the chart entries: patient, status and who recorded them."""

    list_select_related = ("patient", "patient__clinic", "recorded_by")
    list_filter = ("status", "patient__clinic")
    search_fields: tuple[str, ...] = ("patient__mrn", "patient__family_name")
    raw_id_fields = ("patient",)


@admin.register(Diagnosis)
class DiagnosisAdmin(ChartEntryAdmin):
    list_display = ("patient", "code", "is_primary", "status", "recorded_at")


@admin.register(HistoryItem)
class HistoryItemAdmin(ChartEntryAdmin):
    list_display = ("patient", "condition", "presence", "status", "recorded_at")


@admin.register(Medication)
class MedicationAdmin(ChartEntryAdmin):
    list_display = ("patient", "name", "dose", "diazepam_equivalent_mg_per_day", "status")
    search_fields = (*ChartEntryAdmin.search_fields, "name")


@admin.register(PriorTreatment)
class PriorTreatmentAdmin(ChartEntryAdmin):
    list_display = ("patient", "kind", "name", "adequate", "outcome", "status")


@admin.register(Allergy)
class AllergyAdmin(ChartEntryAdmin):
    list_display = ("patient", "substance", "severity", "status")


@admin.register(Measurement)
class MeasurementAdmin(ChartEntryAdmin):
    list_display = ("patient", "kind", "value", "entered_value", "entered_unit", "measured_on")


@admin.register(PregnancyRecord)
class PregnancyRecordAdmin(ChartEntryAdmin):
    list_display = ("patient", "observed_on", "pregnancy_status", "test_done", "test_positive")
