"""API schemas of courses: protocols, chairs, courses, outcomes, appointments.

Request bodies (`…In`, `…Patch`) are strict (see `lib.api_schemas`): an unknown field is a 422
naming it, never silently dropped. Query parameters (`…Params`) are plain, as in the other
apps. Output schemas (`…Out`) use plain types.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from ninja import Schema
from pydantic import Field

from ketaflow.courses.models import SeriesDecisionKind
from ketaflow.lib.api_schemas import Bool, Id, InputSchema, IsoDate, IsoDateTime, Text


class SettingOut(Schema):
    key: str
    default: float
    local: float | None
    value: float
    unit: str
    evidence: str
    sources: list[str]
    note: str
    needs_signoff: bool


class ProtocolVersionOut(Schema):
    id: int
    code: str
    version: int
    name: str
    route: str
    change_reason: str
    created_at: datetime
    needs_signoff: list[str]
    experimental: bool = Field(
        False, description="Thin evidence (oral, sublingual): needs the clinic's own sign-off."
    )


class ProtocolDetailOut(ProtocolVersionOut):
    is_current: bool
    settings: list[SettingOut]
    data: dict[str, Any]


class ReviseIn(InputSchema):
    changes: dict[str, float | int | str | None] = Field(
        ...,
        description='Setting key → new value, or "default" (or null) to go back to the default. '
        'Keys as listed in `settings`, e.g. "observation_minutes", "induction.doses.1".',
    )
    reason: Text = Field(..., min_length=1, max_length=500)


class ChairOut(Schema):
    id: int
    name: str
    active: bool
    notes: str


class ChairIn(InputSchema):
    name: Text = Field(..., max_length=60)
    notes: Text = Field("", max_length=300)
    active: Bool = True


class ChairPatch(InputSchema):
    name: Text | None = Field(None, max_length=60)
    notes: Text | None = Field(None, max_length=300)
    active: Bool | None = None


class CourseIn(InputSchema):
    patient_id: Id
    protocol_version_id: Id
    started_on: IsoDate
    notes: Text = Field("", max_length=4000)


class PhaseChangeOut(Schema):
    from_phase: str
    to_phase: str
    at: datetime
    reason: str


class CourseOut(Schema):
    id: int
    patient_id: int
    protocol_version_id: int
    protocol_code: str
    protocol_version: int
    phase: str
    ended_reason: str
    ended_note: str
    started_on: date
    phase_changes: list[PhaseChangeOut]


class PhaseIn(InputSchema):
    to_phase: str = Field(..., max_length=20)
    reason: Text = Field("", max_length=500)
    ended_reason: str = Field("", max_length=20)
    ended_note: Text = Field("", max_length=500)


class DecisionIn(InputSchema):
    decision: str = Field(
        SeriesDecisionKind.CONTINUE,
        max_length=20,
        description='"continue": go on with the series as planned (no phase change).',
    )
    note: Text = Field(
        "",
        max_length=500,
        description="Why. Required when the core signals non-response (S17).",
    )
    after_session_id: Id | None = Field(
        None,
        description="The appointment of the session the proposal followed; a 422 if a later "
        "session has been given since. Default: the latest session given.",
    )


class DecisionOut(Schema):
    id: int
    course_id: int
    after_session_id: int
    after_session_number: int
    decision: str
    at: datetime
    by: str
    note: str
    snapshot: dict[str, Any]


class ProposedOut(Schema):
    number: int
    on: date
    phase: str
    number_in_phase: int
    planned_dose: str
    moved: bool


class CourseReviewOut(Schema):
    reason: str
    message: str
    sources: list[str]


class NextOut(Schema):
    action: str
    session: ProposedOut | None
    phase_change: list[str] | None
    reviews: list[CourseReviewOut]


class ProposalOut(Schema):
    sessions: list[ProposedOut]
    note: str
    next: NextOut | None
    chair_minutes: int
    turnover_minutes: int


class CourseFindingOut(Schema):
    status: str
    explanation: str
    at: date | None
    improvement_pct: float | None
    sources: list[str]
    needs_local_signoff: bool = False  # rests on a threshold UNVERIFIED for this scale


class StateOut(Schema):
    state: str
    began: date
    score: float
    sources: list[str]
    needs_local_signoff: bool = False  # rests on a threshold UNVERIFIED for this scale


class TrajectoryOut(Schema):
    on: date
    score: float
    sessions_before: int
    change: float | None
    change_pct: float | None
    response: bool
    remission: bool
    state: str


class RelapseOut(Schema):
    onset: date
    confirmed: date
    sources: list[str]


class MoveOut(Schema):
    kind: str
    to_phase: str
    ended_reason: str
    reason: str
    detail: str
    sources: list[str]


class OutcomesOut(Schema):
    instrument: str
    instrument_reason: str
    message: str
    sessions: list[date]
    sessions_from: str
    baseline: float | None
    baseline_on: date | None
    latest: float | None
    latest_on: date | None
    change_pct: float | None
    state: str | None
    states: list[StateOut]
    first_response_on: date | None
    first_remission_on: date | None
    early_improvement: CourseFindingOut | None
    non_response_signal: CourseFindingOut | None
    relapses: list[RelapseOut]
    trajectory: list[TrajectoryOut]
    next: NextOut | None
    next_error: str
    moves: list[MoveOut]
    notes: list[str]


class OutcomeParams(Schema):
    instrument: str | None = Field(None, max_length=20, description="Default: the course's.")


class AppointmentOut(Schema):
    id: int
    course_id: int
    patient_id: int
    chair_id: int
    chair: str
    starts_at: datetime
    ends_at: datetime
    session_number: int
    phase: str
    status: str
    cancel_reason: str


class BookedOut(AppointmentOut):
    before_dosing: list[str] = Field(
        default_factory=list,
        description="What must be done before the first dose (eligibility, consent, ...), in "
        "plain words; empty when every gate passes. Booking ahead is allowed; dosing is not.",
    )


class BookIn(InputSchema):
    course_id: Id
    chair_id: Id
    starts_at: IsoDateTime


class SeriesIn(InputSchema):
    at: time | None = Field(None, description="Preferred arrival time (clinic zone), HH:MM.")
    start: IsoDate | None = None


class UnbookedOut(Schema):
    on: date
    number: int
    reason: str


class SeriesOut(Schema):
    booked: list[AppointmentOut]
    unbooked: list[UnbookedOut]


class RescheduleIn(InputSchema):
    starts_at: IsoDateTime
    chair_id: Id | None = None
    reason: Text = Field(..., min_length=1, max_length=300)


class CancelIn(InputSchema):
    reason: Text = Field(..., min_length=1, max_length=300)


class StatusIn(InputSchema):
    status: str = Field(..., max_length=20)


class DayParams(Schema):
    day: IsoDate | None = Field(None, description="Clinic-local day; default today.")
    days: int = Field(1, ge=1, le=31)
    chair_id: Id | None = None


class CourseListParams(Schema):
    patient_id: Id
