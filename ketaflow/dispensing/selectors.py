"""Reads of take-home supply, scoped to the actor's clinic and audited when they name patients.

Clinical staff (VIEW_CLINICAL) read a course's take-home panel; the stock pages and the
worklist lists need DISPENSE_CONTROLLED or AUTHORISE_TAKE_HOME. Another clinic's row is "not
found". Eligibility, PDMP status, when a supply runs out and the book balance are computed on
every read (never stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import Http404

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical import take_home as core
from ketaflow.courses.models import Course
from ketaflow.dispensing import derive
from ketaflow.dispensing.models import (
    AuthorisationStatus,
    EntryStatus,
    PdmpCheck,
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


def _require(actor: User, *caps: str) -> None:
    if not any(actor.can(c) for c in caps):
        raise PermissionDenied("Your role cannot read the controlled-substance records.")


def _stock_reader(actor: User) -> None:
    _require(actor, Capability.DISPENSE_CONTROLLED, Capability.AUTHORISE_TAKE_HOME)


def course_of(actor: User, course_id: int) -> Course:
    _require(actor, Capability.VIEW_CLINICAL)
    try:
        return Course.objects.select_related("patient__clinic", "protocol_version").get(
            pk=course_id, patient__clinic_id=actor.clinic_pk
        )
    except Course.DoesNotExist:
        raise Http404("No such course in your clinic.") from None


def patient_of(actor: User, patient_id: int) -> Patient:
    _require(actor, Capability.VIEW_CLINICAL)
    try:
        return Patient.objects.select_related("clinic").get(
            pk=patient_id, clinic_id=actor.clinic_pk
        )
    except Patient.DoesNotExist:
        raise Http404("No such patient in your clinic.") from None


def _get(model: Any, actor: User, pk: int, **related: Any) -> Any:
    try:
        return model.objects.get(pk=pk, clinic_id=actor.clinic_pk, **related)
    except model.DoesNotExist:
        raise Http404("Not found in your clinic.") from None


def authorisation_of(actor: User, pk: int) -> TakeHomeAuthorisation:
    _require(actor, Capability.VIEW_CLINICAL)
    return _get(TakeHomeAuthorisation, actor, pk)


def supply_of(actor: User, pk: int) -> Supply:
    _require(actor, Capability.VIEW_CLINICAL)
    row: Supply = _get(Supply, actor, pk)
    record_event(actor=actor, action=Action.VIEW, obj=row)
    return row


def refill_request_of(actor: User, pk: int) -> RefillRequest:
    _require(actor, Capability.VIEW_CLINICAL)
    return _get(RefillRequest, actor, pk)


def receipt_of(actor: User, pk: int) -> StockReceipt:
    _stock_reader(actor)
    return _get(StockReceipt, actor, pk)


def pdmp_check_of(actor: User, pk: int) -> PdmpCheck:
    _require(actor, Capability.VIEW_CLINICAL)
    return _get(PdmpCheck, actor, pk)


def line_of(actor: User, pk: int) -> ReconciliationLine:
    _stock_reader(actor)
    try:
        return ReconciliationLine.objects.select_related("reconciliation").get(
            pk=pk, reconciliation__clinic_id=actor.clinic_pk
        )
    except ReconciliationLine.DoesNotExist:
        raise Http404("Not found in your clinic.") from None


def witnesses(actor: User) -> list[User]:
    """Who may witness for the actor: the clinic's other active nurses and prescribers."""
    return [
        u
        for u in User.objects.filter(clinic_id=actor.clinic_pk, is_active=True)
        .exclude(pk=actor.pk)
        .order_by("last_name", "first_name", "username")
        if u.can(Capability.CHART_SESSION)
    ]


# ---------------------------------------------------------------------------- the course panel


@dataclass(frozen=True)
class AuthorisationView:
    row: TakeHomeAuthorisation
    supplies: list[Supply]
    requests: list[RefillRequest]
    fills_left: int
    expired: bool
    runs_out_on: date | None

    @property
    def current(self) -> bool:
        return self.row.status == AuthorisationStatus.ACTIVE and not self.expired


@dataclass(frozen=True)
class TakeHomePanel:
    course: Course
    patient: Patient
    eligibility: core.TakeHomeEligibility
    required_needs_signoff: bool
    authorisations: list[AuthorisationView]
    pdmp: core.PdmpStatus
    pdmp_checks: list[PdmpCheck]

    @property
    def current(self) -> AuthorisationView | None:
        return next((a for a in self.authorisations if a.current), None)


def _authorisation_view(auth: TakeHomeAuthorisation, today: date) -> AuthorisationView:
    supplies = list(auth.supplies.order_by("dispensed_at", "pk").select_related("witnessed_by"))
    active = [s for s in supplies if s.status == EntryStatus.ACTIVE]
    runs_out = core.last_dose_day(derive.schedule_of(auth), derive.dispensed_of(auth))
    return AuthorisationView(
        row=auth,
        supplies=supplies,
        requests=list(auth.refill_requests.order_by("-requested_at", "-pk")),
        fills_left=max(0, auth.refills_allowed + 1 - len(active)),
        expired=today > auth.expires_on,
        runs_out_on=runs_out,
    )


def take_home_panel(actor: User, course: Course) -> TakeHomePanel:
    """A course's take-home state (audited: it names the patient)."""
    _require(actor, Capability.VIEW_CLINICAL)
    patient = course.patient
    if patient.clinic_id != actor.clinic_pk:
        raise Http404("No such course in your clinic.")
    clinic = patient.clinic
    today = clinic_today(clinic)
    required = derive.supervised_required(clinic)
    panel = TakeHomePanel(
        course=course,
        patient=patient,
        eligibility=core.take_home_eligibility(derive.supervised_doses(course), required),
        required_needs_signoff=required.needs_local_signoff,
        authorisations=[
            _authorisation_view(a, today)
            for a in TakeHomeAuthorisation.objects.filter(course=course).order_by(
                "-authorised_at", "-pk"
            )
        ],
        pdmp=core.pdmp_status(derive.last_pdmp_check(patient), today, derive.pdmp_interval(clinic)),
        pdmp_checks=list(PdmpCheck.objects.filter(patient=patient).order_by("-checked_on", "-pk")),
    )
    record_event(
        actor=actor,
        action=Action.VIEW,
        obj=course,
        patient_id=patient.pk,
        detail={"view": "take_home"},
    )
    return panel


def max_units(auth: TakeHomeAuthorisation) -> int:
    """The most units one supply of this authorisation may hold (the core's schedule)."""
    return derive.schedule_of(auth).max_units_per_supply


# ---------------------------------------------------------------------------- lists (API)


def authorisations(actor: User, *, course_id: int | None = None) -> list[TakeHomeAuthorisation]:
    _require(actor, Capability.VIEW_CLINICAL)
    rows = TakeHomeAuthorisation.objects.filter(clinic_id=actor.clinic_pk)
    if course_id is not None:
        rows = rows.filter(course_id=course_id)
    found = list(rows.order_by("-authorised_at", "-pk")[:500])
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={"list": "take_home_authorisations", "n": len(found)},
    )
    return found


def supplies(actor: User, *, patient_id: int | None = None) -> list[Supply]:
    _require(actor, Capability.VIEW_CLINICAL)
    rows = Supply.objects.filter(clinic_id=actor.clinic_pk)
    if patient_id is not None:
        patient_id = patient_of(actor, patient_id).pk  # 404 unless in the actor's clinic
        rows = rows.filter(patient_id=patient_id)
    found = list(rows.order_by("-dispensed_at", "-pk")[:500])
    record_event(
        actor=actor,
        action=Action.LIST,
        patient_id=patient_id,
        detail={"list": "take_home_supplies", "n": len(found)},
    )
    return found


def refill_requests(actor: User, *, waiting_only: bool = False) -> list[RefillRequest]:
    _require(actor, Capability.VIEW_CLINICAL)
    rows = RefillRequest.objects.filter(clinic_id=actor.clinic_pk).select_related("patient")
    if waiting_only:
        rows = rows.filter(status=RefillStatus.WAITING)
    found = list(rows.order_by("-requested_at", "-pk")[:500])
    record_event(
        actor=actor, action=Action.LIST, detail={"list": "refill_requests", "n": len(found)}
    )
    return found


# ---------------------------------------------------------------------------- stock


@dataclass(frozen=True)
class LotBalance:
    lot: str
    product: str
    strength_mg: float
    expires_on: date
    on_book: int


@dataclass(frozen=True)
class StockOverview:
    lots: list[LotBalance]
    receipts: list[StockReceipt]
    reconciliations: list[StockReconciliation]
    open_lines: list[ReconciliationLine]


def stock_overview(actor: User) -> StockOverview:
    """The clinic's controlled-substance stock: the book per lot, receipts, counts."""
    _stock_reader(actor)
    clinic = actor.clinic
    assert clinic is not None
    book = derive.book_balance(clinic)
    lots = []
    for lot, n in sorted(book.items()):
        receipt = derive.lot_receipt(clinic, lot)
        if receipt is not None:
            lots.append(
                LotBalance(lot, receipt.product, receipt.strength_mg, receipt.expires_on, n)
            )
    overview = StockOverview(
        lots=lots,
        receipts=list(
            StockReceipt.objects.filter(clinic=clinic)
            .select_related("received_by", "witnessed_by")
            .order_by("-received_at", "-pk")[:100]
        ),
        reconciliations=list(
            StockReconciliation.objects.filter(clinic=clinic)
            .prefetch_related("lines")
            .select_related("counted_by", "witnessed_by")
            .order_by("-counted_at", "-pk")[:50]
        ),
        open_lines=open_discrepancies(actor),
    )
    record_event(actor=actor, action=Action.LIST, detail={"list": "controlled_stock"})
    return overview


def open_discrepancies(actor: User) -> list[ReconciliationLine]:
    """Count lines that differ from the book and are not yet explained (no patient data)."""
    _stock_reader(actor)
    return list(
        ReconciliationLine.objects.filter(reconciliation__clinic_id=actor.clinic_pk, explanation="")
        .exclude(counted=F("expected"))
        .select_related("reconciliation")
        .order_by("reconciliation__counted_at", "pk")
    )


# ---------------------------------------------------------------------------- worklists


def early_requests_waiting(actor: User) -> list[RefillRequest]:
    """Early refill requests waiting for a prescriber (audited: they name patients)."""
    _require(actor, Capability.AUTHORISE_TAKE_HOME)
    rows = list(
        RefillRequest.objects.filter(clinic_id=actor.clinic_pk, status=RefillStatus.WAITING)
        .select_related("patient", "course")
        .order_by("requested_at", "pk")
    )
    if rows:
        record_event(
            actor=actor,
            action=Action.LIST,
            detail={"list": "early_refill_requests", "patients": [r.patient_id for r in rows]},
        )
    return rows


@dataclass(frozen=True)
class PdmpDue:
    authorisation: TakeHomeAuthorisation
    status: core.PdmpStatus


def pdmp_checks_due(actor: User) -> list[PdmpDue]:
    """Patients with a current take-home authorisation whose PDMP check is due."""
    _stock_reader(actor)
    clinic = actor.clinic
    assert clinic is not None
    today = clinic_today(clinic)
    due = []
    current = (
        TakeHomeAuthorisation.objects.filter(
            clinic=clinic, status=AuthorisationStatus.ACTIVE, expires_on__gte=today
        )
        .select_related("patient", "course")
        .order_by("patient_id", "-authorised_at")
    )
    seen: set[int] = set()
    interval = None
    for auth in current:
        interval = interval or derive.pdmp_interval(clinic)
        if auth.patient_id in seen:
            continue
        seen.add(auth.patient_id)
        status = core.pdmp_status(derive.last_pdmp_check(auth.patient), today, interval)
        if status.due:
            due.append(PdmpDue(auth, status))
    if due:
        record_event(
            actor=actor,
            action=Action.LIST,
            detail={
                "list": "pdmp_checks_due",
                "patients": [d.authorisation.patient_id for d in due],
            },
        )
    return due


def count_waiting_requests(actor: User) -> int:
    return RefillRequest.objects.filter(
        Q(clinic_id=actor.clinic_pk), status=RefillStatus.WAITING
    ).count()
