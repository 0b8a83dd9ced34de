"""Recording rating scales: permission → validation by the core → one transaction → audit.

The core scores every response (`get_instrument(code).score(...)`); a total is never typed in
for an item instrument, and licensed instruments (Y-BOCS, PDSS, C-SSRS) store no item answers.
A safety flag (PHQ-9 item 9 above 0, C-SSRS moderate/high) is written into the audit event's
detail and raises a risk alert for the clinic's prescribers in the same transaction (issue #6;
`ketaflow.questionnaires.alerts`, the same path as a patient's own answer through a portal link).
The call is explicit rather than a `post_save` signal: only a scale recorded here alerts
(not an admin edit, an entered-in-error update or a bulk load), and a reader of this
function sees that it does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import (
    ItemInstrument,
    Rater,
    RiskLevelInstrument,
    Score,
    TotalInstrument,
    get_instrument,
)
from ketaflow.lib.clock import FUTURE_TOLERANCE
from ketaflow.lib.derived import patient_changed
from ketaflow.lib.errors import as_validation_error
from ketaflow.patients.models import Patient
from ketaflow.questionnaires.alerts import raise_risk_alert_if_needed
from ketaflow.questionnaires.models import Context, InstrumentResponse, RaterKind

SESSION_CONTEXTS = (Context.PRE_SESSION, Context.IN_SESSION)


def _require(actor: User, patient: Patient, context: str) -> None:
    needed = (
        Capability.CHART_SESSION if context in SESSION_CONTEXTS else Capability.RECORD_SCREENING
    )
    if not actor.can(needed):
        raise PermissionDenied(f"Your role cannot record rating scales ({needed}).")
    if patient.clinic_id != actor.clinic_id:
        raise PermissionDenied("This patient belongs to another clinic.")


def _answer_keys(answers: Mapping[Any, Any]) -> dict[int | str, Any]:
    """JSON object keys are text: "3" means item 3; "item_3" and "fear_3" stay keys."""
    return {int(k) if isinstance(k, str) and k.isdigit() else k: v for k, v in answers.items()}


def score_response(
    instrument_code: str,
    *,
    answers: Sequence[int | None] | Mapping[Any, int | None] | None = None,
    total: int | None = None,
    risk: str | None = None,
    agoraphobia: bool | None = None,
) -> Score:
    """The core's score for what was entered, refusing input the licence does not allow."""
    instrument = get_instrument(instrument_code)
    if isinstance(instrument, ItemInstrument):
        if total is not None or risk is not None:
            raise ClinicalInputError(
                f"{instrument.name} is scored from its items: give the answers, not a total "
                "(the total is computed)",
                field="total" if total is not None else "risk",
            )
        if answers is None:
            raise ClinicalInputError(f"{instrument.name} needs its item answers", field="answers")
        given = _answer_keys(answers) if isinstance(answers, Mapping) else answers
        return instrument.score(given)
    if answers:
        raise ClinicalInputError(
            f"{instrument.name} is licensed: Ketaflow stores no item answers for it; enter the "
            "total (or the C-SSRS risk level) from the clinic's licensed form",
            field="answers",
        )
    if isinstance(instrument, TotalInstrument):
        if total is None:
            raise ClinicalInputError(f"enter the {instrument.name} total", field="total")
        return instrument.score_total(total, agoraphobia=agoraphobia)
    assert isinstance(instrument, RiskLevelInstrument)
    if risk is None:
        raise ClinicalInputError(f"enter the {instrument.name} risk level", field="risk")
    return instrument.score_risk(risk)


def _check_when(patient: Patient, administered_at: datetime) -> None:
    if timezone.is_naive(administered_at):
        raise ValidationError({"administered_at": ["Give a time with its time zone."]})
    if administered_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({"administered_at": ["This is in the future."]})
    if administered_at.date() < patient.date_of_birth:
        raise ValidationError({"administered_at": ["This is before the patient was born."]})


@transaction.atomic
def record_response(
    actor: User,
    patient: Patient,
    instrument_code: str,
    *,
    answers: Sequence[int | None] | Mapping[Any, int | None] | None = None,
    total: int | None = None,
    risk: str | None = None,
    agoraphobia: bool | None = None,
    context: str,
    administered_at: datetime,
    rater: str,
    context_ref: str = "",
) -> InstrumentResponse:
    """Score one completed scale with the core and store it; audited (safety flags named)."""
    _require(actor, patient, context)
    if context not in Context.values:
        raise ValidationError({"context": [f"Choose one of: {', '.join(Context.values)}."]})
    if rater not in RaterKind.values:
        raise ValidationError({"rater": [f"Choose one of: {', '.join(RaterKind.values)}."]})
    try:
        instrument = get_instrument(instrument_code)
        score = score_response(
            instrument.code, answers=answers, total=total, risk=risk, agoraphobia=agoraphobia
        )
    except ClinicalInputError as exc:
        raise as_validation_error(exc) from exc
    if instrument.rater is Rater.CLINICIAN and rater != RaterKind.CLINICIAN:
        raise ValidationError({"rater": [f"{instrument.name} is clinician-rated."]})
    _check_when(patient, administered_at)
    response = InstrumentResponse(
        patient=patient,
        recorded_by=actor,
        instrument=instrument.code,
        licence=instrument.licence.value,
        answers=list(score.answers),
        risk_level=(score.severity or "") if isinstance(instrument, RiskLevelInstrument) else "",
        agoraphobia=agoraphobia if isinstance(instrument, TotalInstrument) else None,
        total=score.total,
        severity=score.severity or "",
        band_set=score.band_set or "",
        flags=[f.to_dict() for f in score.flags],
        subscales=dict(score.subscales),
        sources=[s.key for s in score.sources],
        rater=rater,
        administered_at=administered_at,
        context=context,
        context_ref=context_ref,
    )
    response.full_clean(exclude=["patient", "recorded_by"])
    response._history_user = actor  # type: ignore[attr-defined]
    response.save()
    patient_changed(response.patient_id)
    detail: dict[str, Any] = {
        "instrument": instrument.code,
        "context": context,
        "total": score.total,
        "severity": score.severity,
    }
    if score.has_safety_flag:
        detail["safety_flags"] = [f["code"] for f in response.safety_flags]
    record_event(actor=actor, action=Action.CREATE, obj=response, detail=detail)
    raise_risk_alert_if_needed(response)
    return response


@transaction.atomic
def mark_response_entered_in_error(
    actor: User, response: InstrumentResponse, reason: str
) -> InstrumentResponse:
    """Withdraw a response recorded by mistake; it stays, marked, with the reason."""
    _require(actor, response.patient, response.context)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the response is being withdrawn."]})
    response = InstrumentResponse.objects.select_for_update().get(pk=response.pk)
    if response.status == RecordStatus.ENTERED_IN_ERROR:
        raise ValidationError({"status": ["This response is already marked entered in error."]})
    response.status = RecordStatus.ENTERED_IN_ERROR
    response.status_reason = reason.strip()[:300]
    response._change_reason = reason.strip()  # type: ignore[attr-defined]
    response._history_user = actor  # type: ignore[attr-defined]
    response.save()
    patient_changed(response.patient_id)
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=response,
        detail={"status": RecordStatus.ENTERED_IN_ERROR, "reason": reason.strip()},
    )
    return response
