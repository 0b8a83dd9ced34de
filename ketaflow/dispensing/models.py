"""Take-home ketamine: the prescriber's authorisation, each supply, refill requests, the
clinic's controlled-substance stock (receipts, reconciliations) and prescription-monitoring
(PDMP) checks.

Every row is a controlled-substance record: never deleted (`NoDelete`), kept with its history
(simple-history), corrected by amendment with a reason or marked entered in error. Nothing
derivable is stored: the stock on hand per lot, the day a supply should run out and whether a
PDMP check is due are computed from the rows (`derive.py`, the rules in
`clinical/take_home.py`). What a person decided (the limits of an authorisation, the count and
the expected balance at a reconciliation) is stored as decided.

Writes go through `services.py`; reads through `selectors.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ketaflow.audit.history import NoDelete

USER = settings.AUTH_USER_MODEL


class DosageForm(models.TextChoices):
    TROCHE = "troche", "Troche / lozenge (sublingual)"
    TABLET = "tablet", "Tablet"
    CAPSULE = "capsule", "Capsule"


class EntryStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class DispensingSettings(models.Model):
    """A clinic's own values for take-home supply (each a clinic default needing sign-off).

    Absent row = the defaults of `clinical/take_home.py` (`TAKE_HOME_DEFAULTS`).
    """

    clinic = models.OneToOneField(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="dispensing_settings"
    )
    supervised_doses_required = models.PositiveSmallIntegerField()
    pdmp_interval_days = models.PositiveSmallIntegerField()
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Take-home settings of clinic {self.clinic_id}"


class AuthorisationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class TakeHomeAuthorisation(NoDelete):
    """A prescriber's authorisation of home doses for one course (the prescription).

    The dose schedule (`units_per_dose` every `dose_interval_days`), the most days one supply
    may cover, the refills allowed and the expiry were checked by the core's Schedule III
    limits when written. `supervised_doses` and `supervised_required` keep what the
    prescriber saw when authorising (the count is derived from the sessions).
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="take_home_authorisations"
    )
    product = models.CharField(max_length=120)
    dosage_form = models.CharField(max_length=20, choices=DosageForm.choices)
    strength_mg = models.FloatField(help_text="mg of ketamine per unit (tablet, troche...).")
    units_per_dose = models.PositiveSmallIntegerField()
    dose_interval_days = models.PositiveSmallIntegerField(
        help_text="One dose every this many days."
    )
    days_per_supply = models.PositiveSmallIntegerField(
        help_text="The most days one supply may cover."
    )
    refills_allowed = models.PositiveSmallIntegerField()
    written_on = models.DateField()
    expires_on = models.DateField()
    reason = models.TextField(help_text="Why home use despite the warnings (required).")
    warning_acknowledged = models.BooleanField(default=False)
    supervised_doses = models.PositiveSmallIntegerField()
    supervised_required = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=10, choices=AuthorisationStatus.choices, default=AuthorisationStatus.ACTIVE
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    ended_reason = models.CharField(max_length=300, blank=True)
    authorised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    authorised_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-authorised_at", "-pk"]

    def __str__(self) -> str:
        return (
            f"Take-home {self.product} {self.strength_mg:g} mg x{self.units_per_dose} "
            f"every {self.dose_interval_days} d"
        )

    @property
    def dose_mg(self) -> float:
        return self.strength_mg * self.units_per_dose


class Supply(NoDelete):
    """One take-home supply: an entry of the controlled-substance log.

    `fill_number` 0 is the first fill, 1..refills are refills. `expires_on` is the dispensed
    lot's expiry (from its stock receipt). `witnessed_by` is another nurse or prescriber of the
    clinic. The patient's acknowledgement of the storage and no-driving rules is recorded with
    the text version they were shown. The homediary app (above) refers to this model.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    authorisation = models.ForeignKey(
        TakeHomeAuthorisation, on_delete=models.PROTECT, related_name="supplies"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    refill_request = models.ForeignKey(
        "RefillRequest", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    fill_number = models.PositiveSmallIntegerField()
    product = models.CharField(max_length=120)
    dosage_form = models.CharField(max_length=20, choices=DosageForm.choices)
    strength_mg = models.FloatField()
    quantity = models.PositiveIntegerField(help_text="Units (tablets, troches...).")
    days_supply = models.PositiveSmallIntegerField()
    lot = models.CharField(max_length=60)
    expires_on = models.DateField(help_text="The lot's expiry.")
    storage_acknowledged = models.BooleanField(default=False)
    no_driving_acknowledged = models.BooleanField(default=False)
    acknowledgement_version = models.CharField(max_length=40, blank=True)
    pdmp_override_reason = models.CharField(max_length=300, blank=True)
    dispensed_at = models.DateTimeField()
    dispensed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    witnessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=EntryStatus.choices, default=EntryStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-dispensed_at", "-pk"]
        indexes = [models.Index(fields=["clinic", "lot"])]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product} {self.strength_mg:g} mg (lot {self.lot})"

    @property
    def total_mg(self) -> float:
        return self.quantity * self.strength_mg


class RefillStatus(models.TextChoices):
    WAITING = "waiting", "Waiting for a prescriber"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    FILLED = "filled", "Filled"


class RefillRequest(NoDelete):
    """A request for more. `early` (and `early_reason`) when it came before the last supply
    should have run out by the authorised schedule: it waits for a prescriber's decision and
    is never filled without one. An on-time request is approved as it is made.
    """

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    authorisation = models.ForeignKey(
        TakeHomeAuthorisation, on_delete=models.PROTECT, related_name="refill_requests"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="+")
    last_supply = models.ForeignKey(
        Supply, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    early = models.BooleanField(default=False)
    early_reason = models.CharField(max_length=300, blank=True)
    runs_out_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RefillStatus.choices)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at", "-pk"]


class StockReceipt(NoDelete):
    """Product received into the clinic's controlled-substance stock, witnessed."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    product = models.CharField(max_length=120)
    dosage_form = models.CharField(max_length=20, choices=DosageForm.choices)
    strength_mg = models.FloatField()
    lot = models.CharField(max_length=60)
    expires_on = models.DateField()
    quantity = models.PositiveIntegerField()
    supplier = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=120, blank=True, help_text="Invoice / DEA 222.")
    received_at = models.DateTimeField()
    received_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    witnessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=EntryStatus.choices, default=EntryStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["clinic", "lot"])]


class StockReconciliation(NoDelete):
    """A witnessed count of the controlled-substance stock, lot by lot."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField()
    counted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    witnessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-counted_at", "-pk"]


class ReconciliationLine(NoDelete):
    """One lot's count: `expected` is the book balance at the count (kept as counted).

    A line whose count differs is a discrepancy; it stays open until someone explains it,
    witnessed by another nurse or prescriber (`explanation`, `explained_by`,
    `explanation_witnessed_by`).
    """

    reconciliation = models.ForeignKey(
        StockReconciliation, on_delete=models.PROTECT, related_name="lines"
    )
    product = models.CharField(max_length=120)
    strength_mg = models.FloatField()
    lot = models.CharField(max_length=60)
    expected = models.IntegerField()
    counted = models.IntegerField()
    explanation = models.TextField(blank=True)
    explained_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    explanation_witnessed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    explained_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["lot", "pk"]

    @property
    def difference(self) -> int:
        return self.counted - self.expected

    @property
    def open_discrepancy(self) -> bool:
        return self.difference != 0 and not self.explanation


class PdmpOutcome(models.TextChoices):
    NO_CONCERN = "no_concern", "No concern"
    CONCERN = "concern", "Concern (see notes)"


class PdmpCheck(NoDelete):
    """A prescription-drug-monitoring-programme look-up for a patient, by whom, what it showed."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    checked_on = models.DateField()
    checked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    registry = models.CharField(max_length=120, blank=True)
    outcome = models.CharField(max_length=20, choices=PdmpOutcome.choices)
    notes = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=EntryStatus.choices, default=EntryStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-checked_on", "-pk"]
