"""The end of the session: the discharge assessment, the prescriber's signature, amendments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.discharge import DischargeReadiness, Override
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import get_item_instrument
from ketaflow.clinical.protocols import NextStep
from ketaflow.clinical.session_exceptions import ExceptionSummary
from ketaflow.courses.derive.followup import follow_up
from ketaflow.courses.models import AppointmentStatus
from ketaflow.courses.services import set_appointment_status
from ketaflow.lib.clock import local
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.treatments import derive
from ketaflow.treatments.models import (
    DischargeRecord,
    NoteKind,
    SessionNote,
    SessionStatus,
    SigningAttestation,
    TreatmentSession,
)
from ketaflow.treatments.services._common import (
    UNCHANGED,
    _audit,
    _invalid,
    _lock,
    _require,
    _touch,
)
from ketaflow.treatments.services.observations import scale_on_locked_session


class NotReadyToLeave(ValidationError):
    """Discharge refused: the patient is not ready (nothing stored). `readiness` is the core's
    assessment of the answers as sent, so a page can list every reason in force."""

    def __init__(self, readiness: DischargeReadiness) -> None:
        super().__init__(
            {"__all__": ["Not ready to leave: " + " ".join(r.message for r in readiness.blocking)]}
        )
        self.readiness = readiness


@transaction.atomic
def record_discharge(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    aldrete_score: int | None = UNCHANGED,
    padss_score: int | None = UNCHANGED,
    dissociation_resolved: bool | None = UNCHANGED,
    escort_present: bool = UNCHANGED,
    told_not_to_drive: bool = UNCHANGED,
    overrides: Mapping[str, str] | None = None,
    discharge: bool = False,
    now: datetime | None = None,
) -> tuple[DischargeRecord, DischargeReadiness]:
    """Record the discharge assessment; with `discharge`, the patient leaves (if ready).

    Merge rule (as `save_checklist`): an answer not sent (`UNCHANGED`) is carried over from
    the latest assessment, so a prescriber adding only an override keeps the nurse's escort
    and "told not to drive"; an explicit None/False clears it. Overrides are not carried
    over: each is the decision of the prescriber who sends it. A refused discharge raises
    `NotReadyToLeave` and stores nothing.
    """
    row = _open_for_discharge(actor, session, version, overrides)
    return _assess(
        actor,
        row,
        aldrete_score=aldrete_score,
        padss_score=padss_score,
        dissociation_resolved=dissociation_resolved,
        escort_present=escort_present,
        told_not_to_drive=told_not_to_drive,
        overrides=overrides,
        discharge=discharge,
        now=now or timezone.now(),
    )


#: The recovery scores the discharge step records, in the order the form shows them.
RECOVERY_SCALES: tuple[str, ...] = ("aldrete", "padss")


@dataclass(frozen=True)
class DischargeStep:
    """What the discharge step stored: the assessment and the two recovery scores."""

    record: DischargeRecord
    readiness: DischargeReadiness
    scores: dict[str, InstrumentResponse]


@transaction.atomic
def record_discharge_step(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    recovery_answers: Mapping[str, Any],
    dissociation_resolved: bool | None = UNCHANGED,
    escort_present: bool = UNCHANGED,
    told_not_to_drive: bool = UNCHANGED,
    overrides: Mapping[str, str] | None = None,
    discharge: bool = False,
    now: datetime | None = None,
) -> DischargeStep:
    """The discharge-readiness step: the modified Aldrete AND the PADSS, item by item, with the
    assessment (dissociation, escort, driving, overrides), in one transaction.

    `recovery_answers` maps "aldrete" and "padss" to their item answers. Both are required:
    an unanswered item of either is refused on that item (`{"aldrete": {item key: [...]}}`
    style, under the scale's code), and nothing is stored. Each score is recorded through the
    in-session scale write (scored by the core, in the questionnaires app), unless its answers
    are the same as this session's latest of that scale, which then stands; the assessment
    takes the two totals. A refused discharge (`NotReadyToLeave`) stores nothing either.
    """
    row = _open_for_discharge(actor, session, version, overrides)
    now = now or timezone.now()
    scores: dict[str, InstrumentResponse] = {}
    errors: dict[str, ValidationError] = {}
    for code in RECOVERY_SCALES:
        answers = recovery_answers.get(code) or {}
        latest = derive.latest_scale_response(row, code)
        if latest is not None and _same_answers(code, latest, answers):
            scores[code] = latest
            continue
        try:
            with transaction.atomic():
                scores[code] = scale_on_locked_session(actor, row, code, answers, now)
        except ValidationError as exc:
            errors[code] = exc
    if errors:
        raise RecoveryScoresRefused(errors)
    record, readiness = _assess(
        actor,
        row,
        aldrete_score=scores["aldrete"].total,
        padss_score=scores["padss"].total,
        dissociation_resolved=dissociation_resolved,
        escort_present=escort_present,
        told_not_to_drive=told_not_to_drive,
        overrides=overrides,
        discharge=discharge,
        now=now,
    )
    return DischargeStep(record, readiness, scores)


class RecoveryScoresRefused(ValidationError):
    """An Aldrete or PADSS item left unanswered: `by_scale` holds each scale's own error."""

    def __init__(self, by_scale: Mapping[str, ValidationError]) -> None:
        super().__init__({code: list(exc.messages) for code, exc in by_scale.items()})
        self.by_scale = dict(by_scale)


def _same_answers(code: str, latest: InstrumentResponse, answers: Mapping[str, Any]) -> bool:
    items = get_item_instrument(code).items
    stored = list(latest.answers or [])
    if len(stored) != len(items):
        return False
    return all(answers.get(item.key) == value for item, value in zip(items, stored, strict=True))


def _open_for_discharge(
    actor: User, session: TreatmentSession, version: int, overrides: Mapping[str, str] | None
) -> TreatmentSession:
    _require(actor, Capability.CHART_SESSION)
    if overrides:
        _require(actor, Capability.OVERRIDE_LIMITS)
    row = _lock(actor, session, version)
    if row.status != SessionStatus.OBSERVING:
        raise ValidationError({"__all__": ["Discharge comes after dosing is complete."]})
    return row


def _assess(
    actor: User,
    row: TreatmentSession,
    *,
    aldrete_score: int | None,
    padss_score: int | None,
    dissociation_resolved: bool | None,
    escort_present: bool,
    told_not_to_drive: bool,
    overrides: Mapping[str, str] | None,
    discharge: bool,
    now: datetime,
) -> tuple[DischargeRecord, DischargeReadiness]:
    """The assessment on a locked session: merge with the last one, ask the core, store."""
    last = derive.latest_discharge(row)

    def keep(value: Any, attr: str, default: Any) -> Any:
        if value is not UNCHANGED:
            return value
        return getattr(last, attr) if last is not None else default

    aldrete_score = keep(aldrete_score, "aldrete_score", None)
    padss_score = keep(padss_score, "padss_score", None)
    dissociation_resolved = keep(dissociation_resolved, "dissociation_resolved", None)
    escort_present = bool(keep(escort_present, "escort_present", False))
    told_not_to_drive = bool(keep(told_not_to_drive, "told_not_to_drive", False))
    given = {code: reason for code, reason in (overrides or {}).items() if reason is not None}
    try:
        overrides_core = tuple(Override(code, reason) for code, reason in given.items())
        result = derive.readiness(
            row,
            now,
            aldrete=aldrete_score,
            padss=padss_score,
            dissociation_resolved=dissociation_resolved,
            escort_present=escort_present,
            told_not_to_drive=told_not_to_drive,
            overrides=overrides_core,
        )
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    assert result is not None
    if discharge and not result.ready:
        raise NotReadyToLeave(result)
    entry = DischargeRecord.objects.create(
        session=row,
        aldrete_score=aldrete_score,
        padss_score=padss_score,
        dissociation_resolved=dissociation_resolved,
        escort_present=escort_present,
        told_not_to_drive=told_not_to_drive,
        overrides=[
            {"code": o.override.code, "reason": o.override.reason} for o in result.overridden
        ],
        overridden_by=actor if result.overridden else None,
        discharged_at=now if discharge else None,
        recorded_by=actor,
    )
    _touch(row, actor, status=SessionStatus.DISCHARGED if discharge else row.status)
    _audit(
        actor,
        row,
        "discharge" if discharge else "discharge_assessment",
        entry,
        blocking=[r.code for r in result.blocking],
        overridden=[o.override.code for o in result.overridden],
    )
    return entry, result


def summary_rows(summary: ExceptionSummary) -> list[dict[str, Any]]:
    """The summary as plain rows: kept with the attestation and returned by the API."""
    return [
        {
            "group": i.kind.group,
            "kind": i.kind.value,
            "label": i.kind.label,
            "code": i.code,
            "message": i.message,
            "at": i.at.isoformat() if i.at is not None else None,
            "reason": i.reason,
            "by": i.by,
            "reason_missing": i.reason_missing,
            "sources": [s.key for s in i.sources],
        }
        for i in summary.items
    ]


@dataclass(frozen=True)
class Signed:
    session: TreatmentSession
    next_step: NextStep | None
    note: str = ""


@transaction.atomic
def sign_session(
    actor: User, session: TreatmentSession, version: int, attestation: str = ""
) -> Signed:
    """A prescriber signs: the session locks, the appointment completes, the next is proposed.

    With any deviation, override or alert in the session (`derive.exception_summary`), the
    prescriber's `attestation` is required and kept with the summary as signed, who and when.
    """
    _require(actor, Capability.SIGN_SESSION)
    row = _lock(actor, session, version)
    if row.status != SessionStatus.DISCHARGED:
        raise ValidationError({"__all__": ["Only a discharged session can be signed."]})
    problems = []
    unacked = row.rescues.filter(acknowledged_at__isnull=True).count()
    if unacked:
        problems.append(f"Acknowledge the {unacked} rescue medication(s) before signing.")
    open_alerts = derive.open_alerts_to_sign(row)
    if open_alerts:
        listed = "; ".join(
            f"{local(reading.taken_at, row.patient.clinic):%H:%M} {a.level.label}: {a.message}"
            for reading, a in open_alerts
        )
        problems.append(
            f"Acknowledge the {len(open_alerts)} open alert(s) before signing "
            f"(each acknowledgement is recorded): {listed}"
        )
    now = timezone.now()
    summary = derive.exception_summary(row, now)
    errors: dict[str, list[str]] = {"__all__": problems} if problems else {}
    attestation = attestation.strip()
    if summary.requires_attestation and not attestation:
        errors["attestation"] = [
            f"This session has {len(summary.items)} exception(s) (deviations, overrides or "
            "alerts): review the summary and write your attestation to sign."
        ]
    if errors:
        raise ValidationError(errors)
    _touch(row, actor, status=SessionStatus.SIGNED, signed_at=now, signed_by=actor)
    if summary.requires_attestation:
        SigningAttestation.objects.create(
            session=row,
            text=attestation,
            exceptions=summary_rows(summary),
            by=actor,
            at=now,
        )
    if row.appointment.status == AppointmentStatus.IN_SESSION:
        set_appointment_status(actor, row.appointment, AppointmentStatus.COMPLETED)
        row.appointment.refresh_from_db()
    _audit(
        actor,
        row,
        "signed",
        exceptions=[i.code for i in summary.items],
        **({"attestation": attestation} if summary.requires_attestation else {}),
    )
    # The next session from the protocol AND the response so far (outcomes from the scores).
    found = follow_up(row.course)
    return Signed(row, found.step, found.step_error)


@transaction.atomic
def amend(
    actor: User, session: TreatmentSession, version: int, *, text: str, reason: str
) -> SessionNote:
    """A change to a signed session: an amendment note with its reason (nothing overwritten)."""
    _require(actor, Capability.CHART_SESSION)
    row = _lock(actor, session, version, allow_signed=True)
    if not row.is_signed:
        raise ValidationError({"__all__": ["The session is not signed: record a note instead."]})
    errors = {}
    if not text.strip():
        errors["text"] = ["Write the amendment."]
    if not reason.strip():
        errors["reason"] = ["Say why the signed record is being amended."]
    if errors:
        raise ValidationError(errors)
    note = SessionNote.objects.create(
        session=row, kind=NoteKind.AMENDMENT, text=text.strip(), reason=reason.strip(), by=actor
    )
    _touch(row, actor)
    _audit(actor, row, "amendment", note, reason=note.reason)
    return note
