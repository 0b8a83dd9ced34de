"""Strict schemas of the home dose diary's API."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from ketaflow.lib.api_schemas import InputSchema, Text, text


class HomeConcernOut(Schema):
    code: str
    message: str
    sources: list[str]
    needs_local_signoff: bool


class HomeEntryOut(Schema):
    id: int
    patient_id: int
    supply_id: int | None
    taken_at: datetime
    dose_mg: float
    side_effects: list[str]
    other_effect: str
    worst_severity: str
    breathing_trouble: bool
    fainted: bool
    detached: int = Field(description="Our own 0-3 self-check (not a validated scale)")
    drowsy: int = Field(description="Our own 0-3 self-check (not a validated scale)")
    sbp: int | None
    dbp: int | None
    note: str
    status: str
    recorded_at: datetime
    concerns: list[HomeConcernOut] = Field(description="The core's worrying answers, on this read")
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_note: str


class HomeDiaryOut(Schema):
    patient_id: int
    home_mg: float = Field(description="Total mg the patient recorded taking at home")
    missed_days: list[date] = Field(description="Dose days of the schedule with no entry")
    entries: list[HomeEntryOut]


class HomeAlertOut(Schema):
    id: int
    patient_id: int
    mrn: str
    kind: str
    entry_id: int | None
    codes: list[str]
    message: str
    raised_at: datetime
    emailed_to: list[str]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    action_note: str


class HomeAlertParams(Schema):
    open_only: bool = Field(False, description="Only alerts not yet acknowledged")


class HomeEntryAckIn(InputSchema):
    note: Text = text(2000, "What was done (required when the entry raised an alert)", default="")


class HomeAlertAckIn(InputSchema):
    action_note: Text = text(2000, "What was done (kept with the alert)", min_length=1)


class HomeMissedOut(Schema):
    patient_id: int
    mrn: str
    day: date
