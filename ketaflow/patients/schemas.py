"""API schemas of the chart: demographics and one explicit schema per kind of chart entry.

Per kind there are four: `…In` (add; the fields of `entries.ENTRY_KINDS[slug].fields`,
with units and ranges in the descriptions), `…Patch` (amend; the same fields, all optional
but none nullable unless the record allows it, plus a required `reason`), `…Out` and
`…VersionOut` (one earlier version, from the record's history). `ENTRY_SCHEMAS` maps each
slug to them; a test checks it against `ENTRY_KINDS` so a new kind cannot be half-added.

Input schemas are strict (see `lib.api_schemas`); output schemas use plain types so a
record stored by another channel is always readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, create_model

from ketaflow.lib.api_schemas import (
    Bool,
    InputSchema,
    IsoDate,
    Text,
    choices_description,
    text,
)
from ketaflow.lib.units import HEIGHT_RANGE_CM, WEIGHT_RANGE_KG
from ketaflow.patients.codes import (
    DiagnosisCode,
    HistoryCondition,
    HistoryStatus,
    MedicationClass,
    PregnancyStatus,
    SexAtBirth,
    TreatmentKind,
    TreatmentOutcome,
)
from ketaflow.patients.models import Allergy, Measurement

NOTES_MAX = 5000
PAST_DATE = "A date (YYYY-MM-DD), not in the future"


def plain(schema: Schema, *, only_set: bool = True) -> dict[str, Any]:
    """A schema's values for a service: enums as their values, `reason` left out."""

    def unwrap(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, list):
            return [unwrap(v) for v in value]
        return value

    data = schema.model_dump(exclude_unset=only_set, exclude={"reason"})
    return {k: unwrap(getattr(schema, k)) for k in data}


class PatchBase(InputSchema):
    """An amendment: the fields sent change, the others stay; the reason is kept."""

    reason: Text = text(500, "Why the record is being changed (kept in its history)", min_length=1)


def _patch_of(model: type[Schema], name: str, doc: str, extra: dict[str, Any]) -> type[Schema]:
    """`model`'s fields, each optional (absent = unchanged) but only nullable if it was."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[field_name] = (
            annotation,
            Field(default=None, description=f"{info.description or ''} Leave out to keep."),
        )
    fields.update(extra)
    patch: type[Schema] = create_model(name, __base__=PatchBase, __doc__=doc, **fields)
    return patch


# ---------------------------------------------------------------------------- demographics


class PatientIn(InputSchema):
    """A new patient. The MRN is generated (KF-000001…) when left out."""

    mrn: Text = Field(
        default="",
        max_length=30,
        description="Medical record number, unique in the clinic; leave out to generate one "
        "(at most 30 characters)",
    )
    given_name: Text = text(100, "Given (first) name", min_length=1)
    family_name: Text = text(100, "Family name", min_length=1)
    preferred_name: Text = text(100, "Name the patient likes to be called", default="")
    date_of_birth: IsoDate = Field(
        description="YYYY-MM-DD; not in the future, at most 120 years ago"
    )
    sex_at_birth: SexAtBirth = Field(description=choices_description("Sex at birth.", SexAtBirth))
    gender_identity: Text = Field(default="", max_length=60, description="Free text (at most 60)")
    can_become_pregnant: Bool = Field(
        default=False, description="Drives the pregnancy check before each session."
    )
    phone: Text = Field(default="", max_length=40, description="Phone (at most 40 characters)")
    email: Text = Field(default="", max_length=254, description="E-mail address")
    address: Text = Field(default="", max_length=1000, description="Postal address")
    emergency_contact_name: Text = Field(default="", max_length=120, description="Name")
    emergency_contact_phone: Text = Field(default="", max_length=40, description="Phone")


class PatientRegisterIn(PatientIn):
    """A new patient, checked for likely duplicates first (as the registration page does)."""

    not_duplicate_of: list[int] = Field(
        default=[],
        max_length=100,
        description="The ids of the `possible_duplicates` a 409 answer named, once someone has "
        "checked that this is a different person: the patient is then registered. The check "
        "runs again, so a likely duplicate not in this list still answers 409.",
    )


class ErrorDetailOut(Schema):
    loc: list[str | int]
    msg: str
    type: str


class PossibleDuplicateOut(Schema):
    id: int
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    reasons: list[str] = Field(
        description="Why it may be the same person: `same name and date of birth`, "
        "`same phone number`."
    )


class PossibleDuplicatesOut(Schema):
    """409: the patient was NOT registered; these patients of your clinic may be the same
    person. Open them, or send the request again with their ids in `not_duplicate_of`."""

    detail: list[ErrorDetailOut]
    possible_duplicates: list[PossibleDuplicateOut]


if TYPE_CHECKING:
    PatientPatch = PatchBase
else:
    PatientPatch = _patch_of(
        PatientIn,
        "PatientPatch",
        "Changes to demographics: only the fields sent are changed; `reason` is required.",
        {},
    )


class PatientSummaryOut(Schema):
    id: int
    mrn: str
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: date
    sex_at_birth: str
    is_synthetic: bool = Field(description="Made-up demo data.")


class PatientOut(PatientSummaryOut):
    gender_identity: str
    can_become_pregnant: bool
    phone: str
    email: str
    address: str
    emergency_contact_name: str
    emergency_contact_phone: str
    created_at: datetime


class PatientListOut(Schema):
    items: list[PatientSummaryOut]
    limit: int = Field(description="At most this many are returned; narrow `q` to see others.")


# ---------------------------------------------------------------------------- entries


class EntryOut(Schema):
    """What every chart entry has: who recorded it, when, and whether it still stands."""

    id: int
    patient_id: int
    status: str = Field(description="active, inactive (resolved) or entered_in_error")
    status_reason: str
    recorded_at: datetime
    recorded_by: str | None = Field(description="Who recorded it (name, title)")

    @staticmethod
    def resolve_recorded_by(obj: Any) -> str | None:
        user = getattr(obj, "recorded_by", None)
        return user.display_name if user is not None else None


class VersionOut(Schema):
    """One version of an entry from its history: its values then, and who changed it why."""

    history_id: int
    history_date: datetime = Field(description="When this version was saved")
    history_type: str = Field(description="+ created, ~ changed")
    history_user: str | None = Field(description="Who saved this version")
    history_change_reason: str | None = Field(description="The reason given")
    status: str
    status_reason: str

    @staticmethod
    def resolve_history_user(obj: Any) -> str | None:
        user = getattr(obj, "history_user", None)
        return user.display_name if user is not None else None


_AMEND_STATUS: dict[str, Any] = {
    "status": (
        Literal["active", "inactive"] | None,
        Field(
            default=None,
            description="active, or inactive (resolved / stopped). To withdraw an entry made "
            "by mistake use the entered-in-error endpoint instead.",
        ),
    )
}


@dataclass(frozen=True)
class EntrySchemas:
    create: type[Schema]
    patch: type[Schema]
    out: type[Schema]
    version: type[Schema]


def _schemas(
    slug: str, create: type[Schema], out: type[Schema], version: type[Schema]
) -> EntrySchemas:
    name = create.__name__.removesuffix("In")
    patch = _patch_of(
        create,
        f"{name}Patch",
        f"Amend an entry of {slug}: only the fields sent change; `reason` is required.",
        _AMEND_STATUS,
    )
    return EntrySchemas(create, patch, out, version)


# Diagnoses -----------------------------------------------------------------


class DiagnosisIn(InputSchema):
    code: DiagnosisCode = Field(description=choices_description("ICD-10 code.", DiagnosisCode))
    other_code: Text = Field(
        default="",
        max_length=10,
        description="The ICD-10 code when `code` is `other` (required then; at most 10)",
    )
    description: Text = Field(default="", max_length=200, description="Name (at most 200)")
    is_primary: Bool = Field(default=False, description="The primary diagnosis being treated")
    onset: IsoDate | None = Field(default=None, description=f"{PAST_DATE}; optional")
    notes: Text = Field(default="", max_length=NOTES_MAX, description="Free text")


class DiagnosisFieldsOut(Schema):
    code: str
    other_code: str
    description: str
    is_primary: bool
    onset: date | None
    notes: str


class DiagnosisOut(DiagnosisFieldsOut, EntryOut):
    pass


class DiagnosisVersionOut(DiagnosisFieldsOut, VersionOut):
    pass


# History -------------------------------------------------------------------


class HistoryItemIn(InputSchema):
    condition: HistoryCondition = Field(
        description=choices_description("The condition asked about.", HistoryCondition)
    )
    presence: HistoryStatus = Field(
        description=choices_description("Whether it is present.", HistoryStatus)
    )
    onset: IsoDate | None = Field(default=None, description=f"{PAST_DATE}; optional")
    notes: Text = Field(default="", max_length=NOTES_MAX, description="Free text")


class HistoryItemFieldsOut(Schema):
    condition: str
    presence: str
    onset: date | None
    notes: str


class HistoryItemOut(HistoryItemFieldsOut, EntryOut):
    pass


class HistoryItemVersionOut(HistoryItemFieldsOut, VersionOut):
    pass


# Medications ---------------------------------------------------------------


class MedicationIn(InputSchema):
    name: Text = text(120, "Medication name", min_length=1)
    dose: Text = Field(default="", max_length=120, description="e.g. '10 mg twice daily'")
    classes: list[MedicationClass] = Field(
        default_factory=list,
        max_length=len(MedicationClass),
        description=choices_description(
            "Classes that change ketamine's safety or effect.", MedicationClass
        ),
    )
    diazepam_equivalent_mg_per_day: Decimal | None = Field(
        default=None,
        ge=0,
        le=500,
        max_digits=4,
        decimal_places=1,
        description="Total daily dose as diazepam-equivalent mg/day, 0–500, one decimal. "
        "Required when `classes` includes benzodiazepine.",
    )
    started_on: IsoDate | None = Field(default=None, description="YYYY-MM-DD; optional")
    stopped_on: IsoDate | None = Field(
        default=None, description="YYYY-MM-DD, on or after `started_on`; optional"
    )


class MedicationFieldsOut(Schema):
    name: str
    dose: str
    classes: list[str]
    diazepam_equivalent_mg_per_day: Decimal | None = Field(description="mg/day")
    started_on: date | None
    stopped_on: date | None


class MedicationOut(MedicationFieldsOut, EntryOut):
    pass


class MedicationVersionOut(MedicationFieldsOut, VersionOut):
    pass


# Prior treatments -------------------------------------------------------------


class PriorTreatmentIn(InputSchema):
    kind: TreatmentKind = Field(description=choices_description("Treatment.", TreatmentKind))
    name: Text = text(120, "e.g. 'sertraline', '12 sessions of CBT'", min_length=1)
    adequate: Bool | None = Field(
        description="Adequate dose and duration (or a full course): true, false, or null when "
        "not known (required: send null to say so). Not known does not count as adequate."
    )
    outcome: TreatmentOutcome = Field(description=choices_description("Outcome.", TreatmentOutcome))
    started_on: IsoDate | None = Field(default=None, description=f"{PAST_DATE}; optional")
    ended_on: IsoDate | None = Field(
        default=None, description="YYYY-MM-DD, on or after `started_on`; optional"
    )
    notes: Text = Field(default="", max_length=NOTES_MAX, description="Free text")


class PriorTreatmentFieldsOut(Schema):
    kind: str
    name: str
    adequate: bool | None = Field(description="null: not known")
    outcome: str
    started_on: date | None
    ended_on: date | None
    notes: str


class PriorTreatmentOut(PriorTreatmentFieldsOut, EntryOut):
    counts_as_failed_adequate_trial: bool = Field(
        description="Adequate and no or partial response: counts towards treatment resistance"
    )


class PriorTreatmentVersionOut(PriorTreatmentFieldsOut, VersionOut):
    pass


# Allergies -------------------------------------------------------------------


class AllergyIn(InputSchema):
    no_known_allergies: Bool = Field(
        default=False,
        description="The patient was asked and reports no allergies (an entry of its own: "
        "leave substance, reaction and severity empty)",
    )
    substance: Text = text(120, "What the patient is allergic to", default="")
    reaction: Text = Field(default="", max_length=200, description="e.g. 'rash'")
    severity: Allergy.Severity = Field(
        default=Allergy.Severity.UNKNOWN,
        description=choices_description("Severity.", Allergy.Severity),
    )


class AllergyFieldsOut(Schema):
    no_known_allergies: bool
    substance: str
    reaction: str
    severity: str


class AllergyOut(AllergyFieldsOut, EntryOut):
    pass


class AllergyVersionOut(AllergyFieldsOut, VersionOut):
    pass


# Measurements --------------------------------------------------------------------

_W_LOW, _W_HIGH = WEIGHT_RANGE_KG
_H_LOW, _H_HIGH = HEIGHT_RANGE_CM


class MeasurementIn(InputSchema):
    kind: Measurement.Kind = Field(description="`weight` or `height`")
    entered_value: Decimal = Field(
        gt=0,
        max_digits=6,
        decimal_places=2,
        description=f"The number as measured, in `entered_unit` (up to 2 decimals). Once "
        f"converted it must lie in {_W_LOW}–{_W_HIGH} kg for weight or {_H_LOW}–{_H_HIGH} cm "
        "for height.",
    )
    entered_unit: Literal["kg", "lb", "cm", "in", "m"] = Field(
        description="kg or lb for weight; cm, in or m for height"
    )
    measured_on: IsoDate = Field(description=PAST_DATE)


class MeasurementFieldsOut(Schema):
    kind: str
    value: Decimal = Field(description="Canonical value: kg for weight, cm for height")
    entered_value: Decimal
    entered_unit: str
    measured_on: date


class MeasurementOut(MeasurementFieldsOut, EntryOut):
    pass


class MeasurementVersionOut(MeasurementFieldsOut, VersionOut):
    pass


# Pregnancy -------------------------------------------------------------------


class PregnancyRecordIn(InputSchema):
    observed_on: IsoDate = Field(description=PAST_DATE)
    pregnancy_status: PregnancyStatus = Field(
        description=choices_description("Status on that day.", PregnancyStatus)
    )
    test_done: Bool = Field(default=False, description="A pregnancy test was done")
    test_positive: Bool | None = Field(
        default=None, description="The test result; only with `test_done`"
    )


class PregnancyRecordFieldsOut(Schema):
    observed_on: date
    pregnancy_status: str
    test_done: bool
    test_positive: bool | None


class PregnancyRecordOut(PregnancyRecordFieldsOut, EntryOut):
    pass


class PregnancyRecordVersionOut(PregnancyRecordFieldsOut, VersionOut):
    pass


ENTRY_SCHEMAS: dict[str, EntrySchemas] = {
    "diagnoses": _schemas("diagnoses", DiagnosisIn, DiagnosisOut, DiagnosisVersionOut),
    "history": _schemas("history", HistoryItemIn, HistoryItemOut, HistoryItemVersionOut),
    "medications": _schemas("medications", MedicationIn, MedicationOut, MedicationVersionOut),
    "prior-treatments": _schemas(
        "prior-treatments", PriorTreatmentIn, PriorTreatmentOut, PriorTreatmentVersionOut
    ),
    "allergies": _schemas("allergies", AllergyIn, AllergyOut, AllergyVersionOut),
    "measurements": _schemas("measurements", MeasurementIn, MeasurementOut, MeasurementVersionOut),
    "pregnancy": _schemas(
        "pregnancy", PregnancyRecordIn, PregnancyRecordOut, PregnancyRecordVersionOut
    ),
}


class ChartOut(Schema):
    """The whole chart, every entry including withdrawn ones (see each entry's `status`)."""

    patient: PatientOut
    diagnoses: list[DiagnosisOut]
    history: list[HistoryItemOut]
    medications: list[MedicationOut]
    prior_treatments: list[PriorTreatmentOut]
    allergies: list[AllergyOut]
    measurements: list[MeasurementOut]
    pregnancy: list[PregnancyRecordOut]
    latest_weight_kg: Decimal | None = Field(description="kg, latest not withdrawn")
    latest_height_cm: Decimal | None = Field(description="cm, latest not withdrawn")
    bmi: Decimal | None = Field(description="kg/m², from the latest weight and height")


class EnteredInError(InputSchema):
    """Withdraw an entry made by mistake: it stays in the history, marked, with the reason."""

    reason: Text = text(300, "Why the entry was a mistake", min_length=1)
