"""Writes of take-home supply: one transaction each, permission-checked, audited.

The rules are the core's (`clinical/take_home.py`); this module gathers the rows, asks it,
and records. Nothing is deleted or edited in place: an authorisation is ended, a supply or a
receipt made by mistake is marked entered in error (with a reason, kept in its history), a
count's discrepancy is explained, witnessed, on its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical import take_home as core
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.courses.models import Course
from ketaflow.dispensing import derive
from ketaflow.dispensing.models import (
    AuthorisationStatus,
    DispensingSettings,
    DosageForm,
    EntryStatus,
    PdmpCheck,
    PdmpOutcome,
    ReconciliationLine,
    RefillRequest,
    RefillStatus,
    StockReceipt,
    StockReconciliation,
    Supply,
    TakeHomeAuthorisation,
)
from ketaflow.lib.clock import clinic_today
from ketaflow.patients.models import Patient


def _invalid(exc: ClinicalInputError, field: str | None = None) -> ValidationError:
    return ValidationError({field or exc.field or "__all__": [exc.message]})


def _history(row: Any, actor: User, reason: str | None = None) -> None:
    row._history_user = actor
    if reason is not None:
        row._change_reason = reason


def _reason(text: str, field: str, message: str) -> str:
    if not text.strip():
        raise ValidationError({field: [message]})
    return text.strip()


def check_witness(actor: User, witness: User | None, field: str = "witnessed_by") -> User:
    """Someone else, of this clinic, who may chart a session (a nurse or a prescriber)."""
    if witness is None:
        raise ValidationError({field: ["Name the witness."]})
    if witness.pk == actor.pk:
        raise ValidationError({field: ["The witness must be someone other than you."]})
    if witness.clinic_id != actor.clinic_pk or not witness.can(Capability.CHART_SESSION):
        raise ValidationError(
            {field: ["The witness must be a nurse or prescriber of this clinic."]}
        )
    return witness


def _dosage_form(value: str) -> str:
    if value not in DosageForm.values:
        raise ValidationError({"dosage_form": [f"Choose one of: {', '.join(DosageForm.values)}."]})
    return value


# ---------------------------------------------------------------------------- settings


@transaction.atomic
def set_settings(
    actor: User, *, supervised_doses_required: int, pdmp_interval_days: int
) -> DispensingSettings:
    """The clinic's N supervised doses and PDMP interval (both need local sign-off)."""
    require(actor, Capability.MANAGE_PROTOCOLS)
    if not 1 <= supervised_doses_required <= 50:
        raise ValidationError({"supervised_doses_required": ["Between 1 and 50."]})
    if not 1 <= pdmp_interval_days <= 365:
        raise ValidationError({"pdmp_interval_days": ["Between 1 and 365 days."]})
    row, _ = DispensingSettings.objects.select_for_update().get_or_create(
        clinic_id=actor.clinic_pk,
        defaults={
            "supervised_doses_required": supervised_doses_required,
            "pdmp_interval_days": pdmp_interval_days,
            "updated_by": actor,
        },
    )
    row.supervised_doses_required = supervised_doses_required
    row.pdmp_interval_days = pdmp_interval_days
    row.updated_by = actor
    _history(row, actor)
    row.save()
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=row,
        detail={
            "supervised_doses_required": supervised_doses_required,
            "pdmp_interval_days": pdmp_interval_days,
        },
    )
    return row


# ---------------------------------------------------------------------------- authorisation


@transaction.atomic
def authorise(
    actor: User,
    course: Course,
    *,
    product: str,
    dosage_form: str,
    strength_mg: float,
    units_per_dose: int,
    dose_interval_days: int,
    days_per_supply: int,
    refills_allowed: int,
    reason: str,
    warning_acknowledged: bool,
) -> TakeHomeAuthorisation:
    """A prescriber authorises home doses for a course: only after N clean supervised doses."""
    patient = course.patient
    require(actor, Capability.AUTHORISE_TAKE_HOME, patient)
    course = Course.objects.select_for_update().get(pk=course.pk)
    if course.is_ended:
        raise ValidationError({"__all__": ["This course has ended."]})
    if not warning_acknowledged:
        raise ValidationError(
            {"warning_acknowledged": ["Confirm you have read the warning on home use."]}
        )
    why = _reason(reason, "reason", "Say why home doses are justified for this patient.")
    if not product.strip():
        raise ValidationError({"product": ["Name the product."]})
    schedule = core.Schedule(strength_mg, units_per_dose, dose_interval_days, days_per_supply)
    try:
        core.check_authorisation(schedule, refills_allowed)
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    required = derive.supervised_required(patient.clinic)
    eligibility = core.take_home_eligibility(derive.supervised_doses(course), required)
    if not eligibility.allowed:
        raise ValidationError({"__all__": [eligibility.message]})
    today = clinic_today(patient.clinic)
    if TakeHomeAuthorisation.objects.filter(
        course=course, status=AuthorisationStatus.ACTIVE, expires_on__gte=today
    ).exists():
        raise ValidationError(
            {"__all__": ["This course already has a current authorisation; end it first."]}
        )
    auth = TakeHomeAuthorisation(
        clinic_id=patient.clinic_id,
        patient=patient,
        course=course,
        product=product.strip()[:120],
        dosage_form=_dosage_form(dosage_form),
        strength_mg=strength_mg,
        units_per_dose=units_per_dose,
        dose_interval_days=dose_interval_days,
        days_per_supply=days_per_supply,
        refills_allowed=refills_allowed,
        written_on=today,
        expires_on=core.prescription_expires_on(today),
        reason=why,
        warning_acknowledged=True,
        supervised_doses=eligibility.clean_in_a_row,
        supervised_required=eligibility.required,
        authorised_by=actor,
        authorised_at=timezone.now(),
    )
    _history(auth, actor, why)
    auth.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=auth,
        detail={
            "dose_mg": auth.dose_mg,
            "every_days": dose_interval_days,
            "refills": refills_allowed,
            "expires_on": str(auth.expires_on),
            "supervised_doses": eligibility.clean_in_a_row,
            "reason": why,
        },
    )
    return auth


@transaction.atomic
def end_authorisation(
    actor: User, auth: TakeHomeAuthorisation, reason: str
) -> TakeHomeAuthorisation:
    require(actor, Capability.AUTHORISE_TAKE_HOME, auth)
    why = _reason(reason, "reason", "Say why the authorisation ends.")
    row = TakeHomeAuthorisation.objects.select_for_update().get(pk=auth.pk)
    if row.status == AuthorisationStatus.ENDED:
        raise ValidationError({"__all__": ["Already ended."]})
    row.status = AuthorisationStatus.ENDED
    row.ended_at = timezone.now()
    row.ended_by = actor
    row.ended_reason = why[:300]
    _history(row, actor, why)
    row.save()
    record_event(actor=actor, action=Action.AMEND, obj=row, detail={"ended": True, "reason": why})
    return row


# ---------------------------------------------------------------------------- PDMP


@transaction.atomic
def record_pdmp_check(
    actor: User,
    patient: Patient,
    *,
    checked_on: date,
    outcome: str,
    registry: str = "",
    notes: str = "",
) -> PdmpCheck:
    require(actor, Capability.DISPENSE_CONTROLLED, patient)
    if outcome not in PdmpOutcome.values:
        raise ValidationError({"outcome": [f"Choose one of: {', '.join(PdmpOutcome.values)}."]})
    if checked_on > clinic_today(patient.clinic):
        raise ValidationError({"checked_on": ["A check cannot be dated in the future."]})
    if outcome == PdmpOutcome.CONCERN and not notes.strip():
        raise ValidationError({"notes": ["Say what the concern is."]})
    row = PdmpCheck(
        clinic_id=patient.clinic_id,
        patient=patient,
        checked_on=checked_on,
        checked_by=actor,
        registry=registry.strip()[:120],
        outcome=outcome,
        notes=notes.strip()[:500],
        recorded_at=timezone.now(),
    )
    _history(row, actor)
    row.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=row,
        detail={"checked_on": str(checked_on), "outcome": outcome},
    )
    return row


# ---------------------------------------------------------------------------- refill requests


def _open_request(auth: TakeHomeAuthorisation) -> RefillRequest | None:
    return (
        auth.refill_requests.filter(status__in=(RefillStatus.WAITING, RefillStatus.APPROVED))
        .order_by("-requested_at", "-pk")
        .first()
    )


@transaction.atomic
def request_refill(actor: User, auth: TakeHomeAuthorisation, *, note: str = "") -> RefillRequest:
    """Record a request for more. An early one waits for a prescriber; never filled silently."""
    require(actor, Capability.DISPENSE_CONTROLLED, auth)
    auth = TakeHomeAuthorisation.objects.select_for_update().get(pk=auth.pk)
    _usable(auth)
    supplies = derive.active_supplies(auth)
    if not supplies:
        raise ValidationError({"__all__": ["Nothing dispensed yet: dispense the first supply."]})
    if len(supplies) > auth.refills_allowed:
        raise ValidationError(
            {"__all__": ["No refills left on this authorisation: a new one is needed (S57)."]}
        )
    if _open_request(auth) is not None:
        raise ValidationError({"__all__": ["A request for this authorisation is already open."]})
    today = clinic_today(auth.clinic)
    timing = core.refill_timing(derive.schedule_of(auth), derive.dispensed_of(auth), today)
    now = timezone.now()
    row = RefillRequest(
        clinic_id=auth.clinic_id,
        authorisation=auth,
        patient_id=auth.patient_id,
        course_id=auth.course_id,
        last_supply=supplies[-1],
        requested_at=now,
        requested_by=actor,
        note=note.strip()[:500],
        early=timing.early,
        early_reason=timing.reason[:300],
        runs_out_on=timing.runs_out_on,
        status=RefillStatus.WAITING if timing.early else RefillStatus.APPROVED,
        decision_reason="" if timing.early else "On time by the authorised dose schedule.",
        decided_at=None if timing.early else now,
    )
    _history(row, actor)
    row.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=row,
        detail={
            "early": timing.early,
            "why": timing.reason,
            "runs_out_on": str(timing.runs_out_on),
        },
    )
    return row


@transaction.atomic
def decide_refill(
    actor: User, request: RefillRequest, *, approve: bool, reason: str
) -> RefillRequest:
    """A prescriber approves or declines a waiting (early) request, with a reason."""
    require(actor, Capability.AUTHORISE_TAKE_HOME, request)
    why = _reason(reason, "reason", "Say why.")
    row = RefillRequest.objects.select_for_update().get(pk=request.pk)
    if row.status != RefillStatus.WAITING:
        raise ValidationError({"__all__": ["This request is not waiting for a decision."]})
    row.status = RefillStatus.APPROVED if approve else RefillStatus.DECLINED
    row.decided_by = actor
    row.decided_at = timezone.now()
    row.decision_reason = why[:500]
    _history(row, actor, why)
    row.save()
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=row,
        detail={"decision": row.status, "early": row.early, "reason": why},
    )
    return row


# ---------------------------------------------------------------------------- dispensing


def _usable(auth: TakeHomeAuthorisation) -> None:
    if auth.status != AuthorisationStatus.ACTIVE:
        raise ValidationError({"authorisation": ["This authorisation has ended."]})
    if clinic_today(auth.clinic) > auth.expires_on:
        raise ValidationError(
            {
                "authorisation": [
                    "This authorisation has expired (a Schedule III prescription lasts "
                    "6 months, S57): a new one is needed."
                ]
            }
        )


def _lock_stock(clinic_id: int) -> None:
    """Serialise stock movements of one clinic (dispensing, counts) on its row."""
    Clinic.objects.select_for_update().filter(pk=clinic_id).first()


@transaction.atomic
def dispense(
    actor: User,
    auth: TakeHomeAuthorisation,
    *,
    quantity: int,
    lot: str,
    witness: User | None,
    storage_acknowledged: bool,
    no_driving_acknowledged: bool,
    pdmp_override_reason: str = "",
) -> Supply:
    """One take-home supply from stock: every limit checked, witnessed, acknowledged."""
    require(actor, Capability.DISPENSE_CONTROLLED, auth)
    _lock_stock(auth.clinic_id)
    auth = TakeHomeAuthorisation.objects.select_for_update().get(pk=auth.pk)
    clinic = auth.clinic
    _usable(auth)
    check_witness(actor, witness)
    assert witness is not None
    if not (storage_acknowledged and no_driving_acknowledged):
        raise ValidationError(
            {
                "storage_acknowledged": [
                    "The patient must acknowledge the storage and no-driving rules."
                ]
            }
        )
    today = clinic_today(clinic)
    schedule = derive.schedule_of(auth)
    supplies = derive.active_supplies(auth)
    request: RefillRequest | None = None
    if len(supplies) > auth.refills_allowed:
        raise ValidationError(
            {
                "authorisation": [
                    f"No refills left: {auth.refills_allowed} refill(s) authorised, all used "
                    f"(Schedule III: at most {core.MAX_REFILLS}, S57). A new authorisation is "
                    "needed."
                ]
            }
        )
    if supplies:
        request = _open_request(auth)
        if request is not None and request.status == RefillStatus.WAITING:
            raise ValidationError(
                {"__all__": ["An early refill request is waiting for a prescriber's decision."]}
            )
        if request is None:
            timing = core.refill_timing(schedule, derive.dispensed_of(auth), today)
            if timing.early:
                raise ValidationError(
                    {
                        "__all__": [
                            "Early: the last supply should not have run out yet. Record a "
                            "refill request; a prescriber decides it. " + timing.reason
                        ]
                    }
                )
    status = core.pdmp_status(
        derive.last_pdmp_check(auth.patient), today, derive.pdmp_interval(clinic)
    )
    override = pdmp_override_reason.strip()
    if status.due:
        if not override:
            raise ValidationError(
                {"pdmp_override_reason": [status.message + " Record the check first."]}
            )
        if not actor.can(Capability.AUTHORISE_TAKE_HOME):
            raise PermissionDenied("Only a prescriber may dispense with the PDMP check overdue.")
    else:
        override = ""
    lot = lot.strip()
    receipt = derive.lot_receipt(clinic, lot)
    if receipt is None:
        raise ValidationError({"lot": ["No such lot in this clinic's stock."]})
    if abs(receipt.strength_mg - auth.strength_mg) > 1e-9 or receipt.dosage_form != (
        auth.dosage_form
    ):
        raise ValidationError({"lot": ["That lot is not the authorised form and strength."]})
    try:
        core.check_supply(
            schedule,
            refills_allowed=auth.refills_allowed,
            fills_before=len(supplies),
            quantity=quantity,
            today=today,
            expires_on=auth.expires_on,
            lot_expires_on=receipt.expires_on,
        )
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    on_hand = derive.book_balance(clinic).get(lot, 0)
    if quantity > on_hand:
        raise ValidationError({"quantity": [f"Only {on_hand} unit(s) of lot {lot} on the book."]})
    supply = Supply(
        clinic_id=auth.clinic_id,
        authorisation=auth,
        course_id=auth.course_id,
        patient_id=auth.patient_id,
        refill_request=request,
        fill_number=len(supplies),
        product=receipt.product,
        dosage_form=receipt.dosage_form,
        strength_mg=receipt.strength_mg,
        quantity=quantity,
        days_supply=core.days_supply(schedule, quantity),
        lot=lot,
        expires_on=receipt.expires_on,
        storage_acknowledged=True,
        no_driving_acknowledged=True,
        acknowledgement_version=core.ACKNOWLEDGEMENT_VERSION,
        pdmp_override_reason=override[:300],
        dispensed_at=timezone.now(),
        dispensed_by=actor,
        witnessed_by=witness,
    )
    _history(supply, actor)
    supply.save()
    if request is not None:
        request.status = RefillStatus.FILLED
        _history(request, actor, "Filled")
        request.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=supply,
        detail={
            "lot": lot,
            "quantity": quantity,
            "strength_mg": supply.strength_mg,
            "fill_number": supply.fill_number,
            "witness": witness.pk,
            "pdmp_override": override,
        },
    )
    return supply


@transaction.atomic
def mark_supply_entered_in_error(actor: User, supply: Supply, reason: str) -> Supply:
    """A supply recorded by mistake: it stays, marked, and its units return to the book."""
    require(actor, Capability.AUTHORISE_TAKE_HOME, supply)
    return _entered_in_error(actor, supply, reason)


@transaction.atomic
def mark_receipt_entered_in_error(actor: User, receipt: StockReceipt, reason: str) -> StockReceipt:
    """A receipt recorded by mistake: it stays, marked, and its units leave the book."""
    require(actor, Capability.AUTHORISE_TAKE_HOME, receipt)
    _lock_stock(receipt.clinic_id)
    on_book = derive.book_balance(receipt.clinic).get(receipt.lot, 0)
    if receipt.status == EntryStatus.ACTIVE and on_book < receipt.quantity:
        raise ValidationError(
            {
                "__all__": [
                    f"Only {on_book} unit(s) of lot {receipt.lot} on the book: units of this "
                    "receipt were dispensed or counted. Count the stock and explain instead."
                ]
            }
        )
    return _entered_in_error(actor, receipt, reason)


@transaction.atomic
def mark_pdmp_check_entered_in_error(actor: User, check: PdmpCheck, reason: str) -> PdmpCheck:
    """A PDMP check recorded by mistake (wrong patient, wrong date): it no longer counts."""
    require(actor, Capability.DISPENSE_CONTROLLED, check)
    return _entered_in_error(actor, check, reason)


def _entered_in_error(actor: User, entry: Any, reason: str) -> Any:
    why = _reason(reason, "reason", "Say why the entry is withdrawn.")
    row = type(entry).objects.select_for_update().get(pk=entry.pk)
    if row.status == EntryStatus.ENTERED_IN_ERROR:
        raise ValidationError({"__all__": ["Already marked entered in error."]})
    row.status = EntryStatus.ENTERED_IN_ERROR
    row.status_reason = why[:300]
    _history(row, actor, why)
    row.save()
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=row,
        detail={"status": "entered_in_error", "reason": why},
    )
    return row


# ---------------------------------------------------------------------------- stock


@transaction.atomic
def receive_stock(
    actor: User,
    *,
    product: str,
    dosage_form: str,
    strength_mg: float,
    lot: str,
    expires_on: date,
    quantity: int,
    witness: User | None,
    supplier: str = "",
    reference: str = "",
) -> StockReceipt:
    require(actor, Capability.DISPENSE_CONTROLLED)
    check_witness(actor, witness)
    assert witness is not None
    errors: dict[str, list[str]] = {}
    if not product.strip():
        errors["product"] = ["Name the product."]
    if not lot.strip():
        errors["lot"] = ["Give the lot number."]
    if not strength_mg > 0:
        errors["strength_mg"] = ["Enter the strength per unit in mg."]
    if quantity < 1:
        errors["quantity"] = ["At least one unit."]
    if errors:
        raise ValidationError(errors)
    _lock_stock(actor.clinic_pk)
    known = derive.lot_receipt(actor.clinic, lot.strip())  # type: ignore[arg-type]
    if known is not None and (
        abs(known.strength_mg - strength_mg) > 1e-9 or known.dosage_form != dosage_form
    ):
        raise ValidationError({"lot": ["This lot is already on the book with another strength."]})
    row = StockReceipt(
        clinic_id=actor.clinic_pk,
        product=product.strip()[:120],
        dosage_form=_dosage_form(dosage_form),
        strength_mg=strength_mg,
        lot=lot.strip()[:60],
        expires_on=expires_on,
        quantity=quantity,
        supplier=supplier.strip()[:200],
        reference=reference.strip()[:120],
        received_at=timezone.now(),
        received_by=actor,
        witnessed_by=witness,
    )
    _history(row, actor)
    row.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=row,
        detail={"lot": row.lot, "quantity": quantity, "witness": witness.pk},
    )
    return row


@transaction.atomic
def reconcile(
    actor: User, *, counts: Mapping[str, int], witness: User | None, note: str = ""
) -> StockReconciliation:
    """A witnessed count: each lot against the book; a difference opens a discrepancy."""
    require(actor, Capability.DISPENSE_CONTROLLED)
    check_witness(actor, witness)
    assert witness is not None
    _lock_stock(actor.clinic_pk)
    clinic = actor.clinic
    assert clinic is not None
    book = {lot: n for lot, n in derive.book_balance(clinic).items() if n != 0}
    clean = {str(k).strip(): int(v) for k, v in counts.items()}
    unknown = sorted(lot for lot in clean if derive.lot_receipt(clinic, lot) is None)
    if unknown:
        raise ValidationError({"counts": [f"Lot {unknown[0]} is not in this clinic's stock."]})
    try:
        lines = core.reconcile(book, clean)
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    rec = StockReconciliation(
        clinic_id=clinic.pk,
        counted_at=timezone.now(),
        counted_by=actor,
        witnessed_by=witness,
        note=note.strip()[:500],
    )
    _history(rec, actor)
    rec.save()
    for line in lines:
        receipt = derive.lot_receipt(clinic, line.lot)
        assert receipt is not None
        row = ReconciliationLine(
            reconciliation=rec,
            product=receipt.product,
            strength_mg=receipt.strength_mg,
            lot=line.lot,
            expected=line.expected,
            counted=line.counted,
        )
        _history(row, actor)
        row.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=rec,
        detail={
            "lots": len(lines),
            "discrepancies": {c.lot: c.difference for c in lines if c.difference},
            "witness": witness.pk,
        },
    )
    return rec


@transaction.atomic
def explain_discrepancy(
    actor: User, line: ReconciliationLine, *, explanation: str, witness: User | None
) -> ReconciliationLine:
    """Close a count's discrepancy with an explanation, witnessed by someone else."""
    require(actor, Capability.DISPENSE_CONTROLLED, line.reconciliation)
    why = _reason(explanation, "explanation", "Explain the difference.")
    check_witness(actor, witness)
    row = ReconciliationLine.objects.select_for_update().get(pk=line.pk)
    if row.difference == 0:
        raise ValidationError({"__all__": ["This lot's count agreed with the book."]})
    if row.explanation:
        raise ValidationError({"__all__": ["Already explained."]})
    row.explanation = why
    row.explained_by = actor
    row.explanation_witnessed_by = witness
    row.explained_at = timezone.now()
    _history(row, actor, why)
    row.save()
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=row,
        clinic_id=actor.clinic_pk,
        detail={"lot": row.lot, "difference": row.difference, "explanation": why},
    )
    return row
