"""Bedside monitor feeds: which chair a monitor's bed label means, extra code mappings, every
message received, and the readings waiting for a nurse.

Nothing is deleted (`NoDelete`): a mapping or binding is switched off, a reading is confirmed
or rejected with a reason, a held message is assigned or dismissed with a reason. The raw
message text is kept with every stored message so any reading can be traced to its bytes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketaflow.courses.models import NoDelete

USER = settings.AUTH_USER_MODEL


class VitalChoice(models.TextChoices):
    SBP = "sbp", "Systolic BP (mmHg)"
    DBP = "dbp", "Diastolic BP (mmHg)"
    MAP = "map", "Mean BP (mmHg)"
    HR = "hr", "Heart rate (/min)"
    SPO2 = "spo2", "SpO2 (%)"
    RR = "rr", "Respiratory rate (/min)"
    TEMP = "temp", "Temperature (°C)"
    IGNORE = "ignore", "Known, not charted"


class MonitorBinding(NoDelete):
    """A chair and the location (PV1-3, or a part of it such as the bed label) its monitor sends.

    Kept here, not on `courses.Chair`, so the device feed can change without touching the
    scheduling model. `location` is matched case-insensitively against the forms listed by
    `hl7_vitals.location_keys` (whole PV1-3, "unit/bed", bed label).
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey("courses.Chair", on_delete=models.PROTECT, related_name="+")
    location = models.CharField(max_length=120, help_text="e.g. V2, SURGERY^^V2, ICU/PCU/Bed3")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["location"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "location"],
                condition=models.Q(active=True),
                name="one_active_binding_per_location",
            )
        ]

    def __str__(self) -> str:
        return f"{self.location} → {self.chair}"


class CodeMapping(NoDelete):
    """A clinic's own OBX-3 code → vital (vendor-private codes, overrides of the defaults)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    coding_system = models.CharField(
        max_length=40, blank=True, help_text="OBX-3.3 as sent (99MNDRY, WAP, MDC…); blank = any."
    )
    code = models.CharField(max_length=80, help_text="OBX-3.1 as sent.")
    sub_id = models.CharField(
        max_length=40, blank=True, help_text="OBX-4 tag when it tells rows apart (SYS/DIA)."
    )
    vital = models.CharField(max_length=10, choices=VitalChoice.choices)
    unit = models.CharField(
        max_length=10,
        blank=True,
        help_text="Unit to assume when the device sends none (mmHg, kPa, /min, %, Cel, degF).",
    )
    priority = models.PositiveSmallIntegerField(
        default=1, help_text="Lower wins when two rows give the same vital at the same time."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["coding_system", "code", "sub_id"]

    def __str__(self) -> str:
        return f"{self.key} → {self.vital}"

    @property
    def key(self) -> str:
        base = f"{self.coding_system.strip().upper()}:{self.code.strip().upper()}"
        return f"{base}/{self.sub_id.strip().upper()}" if self.sub_id.strip() else base


class MessageStatus(models.TextChoices):
    STORED = "stored", "Readings stored for the session"
    HELD = "held", "Held: patient or chair not matched"
    ASSIGNED = "assigned", "Held, then assigned to a session"
    DISMISSED = "dismissed", "Held, then dismissed"
    IGNORED = "ignored", "Accepted, nothing to chart"


class InboundMessage(NoDelete):
    """One HL7 message as received and committed before its AA was sent.

    Unique per (clinic, MSH-3, MSH-4, MSH-10): a resend is acknowledged again but stored once.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    sending_app = models.CharField(max_length=200, blank=True)
    sending_facility = models.CharField(max_length=200, blank=True)
    control_id = models.CharField(max_length=200)
    message_type = models.CharField(max_length=40, blank=True)
    received_at = models.DateTimeField()
    peer = models.CharField(max_length=80, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    raw = models.TextField()
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    patient_ref = models.CharField(max_length=200, blank=True, help_text="PID-3 as sent.")
    location = models.CharField(max_length=200, blank=True, help_text="PV1-3 as sent.")
    device = models.CharField(max_length=200, blank=True)
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reason = models.CharField(max_length=300, blank=True, help_text="Why held or ignored.")
    skipped = models.JSONField(default=list, blank=True)
    resolved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "sending_app", "sending_facility", "control_id"],
                name="one_message_per_control_id",
            )
        ]
        indexes = [models.Index(fields=["clinic", "status", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.message_type} {self.control_id} from {self.sending_app or '?'}"


class ReadingStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a nurse"
    CONFIRMED = "confirmed", "Confirmed into the flowsheet"
    REJECTED = "rejected", "Rejected"


class DeviceReading(NoDelete):
    """One set of vitals from a monitor for one session and time, until a nurse decides.

    `alerts` are the core's alerts computed at arrival (phase and baseline as they were then),
    kept so the nurse sees what the monitor's values meant when they came in; once confirmed,
    the flowsheet's own reading (`vitals_reading`) has its alerts computed as always.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "treatments.TreatmentSession", on_delete=models.PROTECT, related_name="device_readings"
    )
    message = models.ForeignKey(InboundMessage, on_delete=models.PROTECT, related_name="readings")
    observed_at = models.DateTimeField()
    sbp = models.FloatField(null=True, blank=True)
    dbp = models.FloatField(null=True, blank=True)
    map = models.FloatField(null=True, blank=True)
    hr = models.FloatField(null=True, blank=True)
    spo2 = models.FloatField(null=True, blank=True)
    rr = models.FloatField(null=True, blank=True)
    temp_c = models.FloatField(null=True, blank=True)
    sources = models.JSONField(default=dict, blank=True)
    notes = models.JSONField(default=list, blank=True)
    alerts = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=ReadingStatus.choices, default=ReadingStatus.PENDING
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=300, blank=True)
    vitals_reading = models.OneToOneField(
        "treatments.VitalsReading",
        on_delete=models.PROTECT,
        related_name="device_reading",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_at", "-pk"]
        indexes = [models.Index(fields=["session", "status"])]

    @property
    def patient_id(self) -> int:
        return int(self.session.patient_id)

    @property
    def chartable(self) -> bool:
        return any(v is not None for v in (self.sbp, self.dbp, self.hr, self.spo2, self.rr))
