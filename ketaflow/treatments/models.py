"""One dosing session: checklist answers, orders, administration events, vitals, and the rest.

Nothing is deleted (`NoDelete`). Nothing derivable is stored: the delivered dose, the pump's
state, alerts and discharge readiness are computed by the clinical core from the rows here.
Every write goes through `services` and bumps `TreatmentSession.version` (optimistic
concurrency). Once signed, a session is locked: later changes are `Amendment`s with a reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.courses.models import NoDelete, SessionStatus

USER = settings.AUTH_USER_MODEL


class TreatmentSession(NoDelete):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    appointment = models.OneToOneField(
        "courses.Appointment", on_delete=models.PROTECT, related_name="treatment_session"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey("courses.Chair", on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey(
        "courses.ProtocolVersion", on_delete=models.PROTECT, related_name="+"
    )
    route = models.CharField(max_length=20)
    session_number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.CHECKED_IN
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True)
    checked_in_at = models.DateTimeField(auto_now_add=True)
    checked_in_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-checked_in_at"]

    def __str__(self) -> str:
        return f"Session {self.session_number} of course {self.course_id}"

    @property
    def is_signed(self) -> bool:
        return self.status == SessionStatus.SIGNED


class ChecklistAnswers(NoDelete):
    """One submission of the nurse's checklist answers (the latest one counts)."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="checklist_answers"
    )
    last_food_at = models.DateTimeField(null=True, blank=True)
    last_clear_liquid_at = models.DateTimeField(null=True, blank=True)
    escort_name = models.CharField(max_length=120, blank=True)
    escort_phone = models.CharField(max_length=40, blank=True)
    medication_changes_reviewed = models.BooleanField(default=False)
    medication_changes = models.CharField(max_length=500, blank=True)
    taken_today = models.JSONField(default=list, blank=True)
    # The day of treatment (None = not asked yet).
    alcohol_today = models.BooleanField(null=True, blank=True)
    drugs_today = models.BooleanField(null=True, blank=True)
    intoxication_signs = models.BooleanField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-recorded_at", "-pk"]


class SubstanceDecision(NoDelete):
    """A prescriber's decision on "yes" answers about alcohol, drugs or intoxication today.

    `answers` are the questions that were "yes" when deciding: a later new "yes" needs a new
    decision (the core compares). The latest decision counts.
    """

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="substance_decisions"
    )
    decision = models.CharField(max_length=10, choices=[("proceed", "Proceed"), ("defer", "Defer")])
    reason = models.CharField(max_length=500)
    answers = models.JSONField(default=list)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-pk"]


class OrderStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed (awaiting a prescriber)"
    CONFIRMED = "confirmed", "Confirmed"
    SUPERSEDED = "superseded", "Superseded"


class DoseOrder(NoDelete):
    """The dose for this session, as the core computed it (an order is a decision, stored)."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=OrderStatus.choices)
    route = models.CharField(max_length=20)
    mg_per_kg = models.FloatField(null=True, blank=True)
    weight_basis = models.CharField(max_length=20, blank=True)
    actual_weight_kg = models.FloatField(null=True, blank=True)
    basis_weight_kg = models.FloatField(null=True, blank=True)
    dose_mg = models.FloatField()
    concentration_mg_per_ml = models.FloatField(null=True, blank=True)
    minutes = models.FloatField(null=True, blank=True)
    rate_ml_per_h = models.FloatField(null=True, blank=True)
    mg_per_min = models.FloatField(null=True, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    overrides = models.JSONField(default=list, blank=True)
    limits_version = models.CharField(max_length=60, blank=True)
    # The absolute mg cap in force (route default or the prescriber's own, whichever is lower):
    # a hard limit, also for boluses during the session. Null on orders made before it existed.
    max_dose_mg = models.FloatField(null=True, blank=True)
    # Why this weight basis was chosen, required when obesity is likely (BMI >= 30, or heavy
    # with no height): clinical/dosing WeightBasisLimits.
    weight_basis_reason = models.CharField(max_length=300, blank=True)
    proposed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-proposed_at", "-pk"]


class EventKind(models.TextChoices):
    START = "start", "Start"
    PAUSE = "pause", "Pause"
    RESUME = "resume", "Resume"
    RATE_CHANGE = "rate_change", "Rate change"
    STOP = "stop", "Stop"
    BOLUS = "bolus", "Bolus / dose given"


class AdministrationEvent(NoDelete):
    """One line of the administration record (append-only)."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    rate_ml_per_h = models.FloatField(null=True, blank=True)
    bolus_mg = models.FloatField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    # Why the line departs from the order or protocol (an early stop, the end of a long
    # pause: `clinical.session_exceptions.reasons_needed`); required for those lines.
    reason = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    # A mis-keyed line is never deleted: it is marked entered in error (who, when, why), stays
    # on the record struck through, and drops out of the delivered dose and pump state.
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    entered_in_error_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    @property
    def in_error(self) -> bool:
        return self.entered_in_error_at is not None


class VitalsReading(NoDelete):
    """One set of vital signs; its phase and alerts are computed by the core, never stored."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="vitals")
    taken_at = models.DateTimeField()
    sbp = models.FloatField(null=True, blank=True)
    dbp = models.FloatField(null=True, blank=True)
    hr = models.FloatField(null=True, blank=True)
    spo2 = models.FloatField(null=True, blank=True)
    rr = models.FloatField(null=True, blank=True)
    # Supplemental oxygen when the reading was taken (an SpO2 on oxygen is not on room air).
    on_oxygen = models.BooleanField(default=False)
    oxygen_l_per_min = models.FloatField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["taken_at", "pk"]


class AlertAck(NoDelete):
    """Someone saw an alert computed from a reading and said what they did (`note`: the
    action taken, required for warn and critical alerts)."""

    reading = models.ForeignKey(VitalsReading, on_delete=models.PROTECT, related_name="acks")
    code = models.CharField(max_length=80)
    note = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reading", "code"], name="one_ack_per_alert")
        ]


class SideEffectKind(models.TextChoices):
    DIZZINESS = "dizziness", "Dizziness"
    NAUSEA = "nausea", "Nausea"
    VOMITING = "vomiting", "Vomiting"
    RAISED_HR = "raised_hr", "Raised heart rate"
    RAISED_BP = "raised_bp", "Raised blood pressure"
    DISSOCIATION = "dissociation", "Dissociation"
    HEADACHE = "headache", "Headache"
    ANXIETY = "anxiety", "Anxiety"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class SideEffect(NoDelete):
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="side_effects"
    )
    kind = models.CharField(max_length=20, choices=SideEffectKind.choices)
    other_text = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    onset_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    notes = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["onset_at", "pk"]

    @property
    def label(self) -> str:
        return self.other_text if self.kind == SideEffectKind.OTHER else self.get_kind_display()


class RescueMedication(NoDelete):
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="rescues")
    drug = models.CharField(max_length=120)
    dose = models.CharField(max_length=60)
    route = models.CharField(max_length=30)
    given_at = models.DateTimeField()
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["given_at", "pk"]


class ControlledSubstanceLog(NoDelete):
    """Drawn = given (from the events) + wasted, witnessed by someone other than the recorder."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="cs_entries"
    )
    lot = models.CharField(max_length=60)
    drawn_mg = models.FloatField()
    given_mg = models.FloatField(help_text="Delivered mg from the events at the time recorded.")
    wasted_mg = models.FloatField()
    discrepancy_reason = models.CharField(max_length=300, blank=True)
    witness = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]


class DischargeRecord(NoDelete):
    """What was assessed at discharge, any prescriber overrides, and when the patient left."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="discharges"
    )
    aldrete_score = models.PositiveSmallIntegerField(null=True, blank=True)
    padss_score = models.PositiveSmallIntegerField(null=True, blank=True)
    dissociation_resolved = models.BooleanField(null=True, blank=True)
    escort_present = models.BooleanField(default=False)
    told_not_to_drive = models.BooleanField(default=False)
    overrides = models.JSONField(default=list, blank=True)
    overridden_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]


class SigningAttestation(NoDelete):
    """The prescriber's attestation when signing a session with exceptions (who, when, what).

    `exceptions` is the summary as shown on the signing screen, kept as signed: the list is
    derived and could read differently after a later amendment or a changed default.
    """

    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="attestation"
    )
    text = models.TextField()
    exceptions = models.JSONField(default=list, blank=True)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()


class NoteKind(models.TextChoices):
    NOTE = "note", "Note"
    AMENDMENT = "amendment", "Amendment after signing"


class SessionNote(NoDelete):
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(max_length=20, choices=NoteKind.choices, default=NoteKind.NOTE)
    text = models.TextField()
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class RemsSubmission(NoDelete):
    """The clinic says it submitted the official SPRAVATO REMS monitoring form for a session.

    Ketaflow only generates a REMS-style record from the session; the official form goes to
    the REMS programme (online or by fax) within 7 days. This row records who said so, when.
    """

    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="rems_submission"
    )
    reference = models.CharField(
        max_length=120, blank=True, help_text="Confirmation number from the REMS portal or fax."
    )
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]


# ---------------------------------------------------------------------------- suicide risk


class RiskLevelChoice(models.TextChoices):
    NONE = "none", "None (C-SSRS screen negative)"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class AssessmentDecision(models.TextChoices):
    PROCEED = "proceed", "Proceed with today's treatment"
    DEFER = "defer", "Defer today's treatment"


class RiskAssessment(NoDelete):
    """A prescriber's structured suicide risk assessment before a session (issue #11 item 1).

    Today's C-SSRS screen (`cssrs_response`, its level copied to `risk_level`) or a clinician
    risk level, the plan, and the decision for `session`. Recording it resolves the risk alerts
    that waited for it (`RiskAlert.assessment`). "Defer" keeps that session's start blocked.

    Here because it belongs to a session and its gate (`treatments.risk`) reads the session's
    administration events. The table was `portal_riskassessment` until migration treatments
    0009 moved it here with its rows.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    cssrs_response = models.ForeignKey(
        "questionnaires.InstrumentResponse",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    risk_level = models.CharField(max_length=10, choices=RiskLevelChoice.choices)
    plan = models.TextField()
    decision = models.CharField(max_length=10, choices=AssessmentDecision.choices)
    assessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()

    class Meta:
        ordering = ["-assessed_at", "-pk"]

    def __str__(self) -> str:
        return f"Risk assessment ({self.risk_level}, {self.decision}) for session {self.session_id}"
