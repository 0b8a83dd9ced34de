"""Writes for treatment sessions: permission → version check → validation → one transaction → audit.

Every write takes the `version` of the session the user saw. If the session has moved on
since (someone else wrote to it), the write is refused with `VersionConflict` ("someone else
changed this session at HH:MM — reload"), so two nurses at one chair never overwrite each
other. A signed session is locked (`SessionLocked`): later changes are `amend` with a reason.

- `_common`: the version lock, touch, audit, permission and time checks, the conflict
  errors and the `UNCHANGED` sentinel, shared by the modules below.
- `checkin`: check-in, the pre-session checklist (today's weight), the pre-session
  questionnaire.
- `orders`: enter and confirm the dose order, soft-limit overrides.
- `administration`: administration events, completing dosing, striking a line in error.
- `observations`: vitals and alert acknowledgement, in-session scales, side effects,
  rescue medication, notes.
- `controlled_substances`: the controlled-substance log.
- `discharge`: the discharge assessment, signing, amendments.
"""

from __future__ import annotations

from ketaflow.treatments.services._common import (
    FUTURE_TOLERANCE,
    UNCHANGED,
    SessionConflict,
    SessionLocked,
    VersionConflict,
)
from ketaflow.treatments.services.administration import (
    EventCorrection,
    EventResult,
    complete_dosing,
    mark_event_entered_in_error,
    record_administration,
)
from ketaflow.treatments.services.checkin import (
    PRE_SESSION_QUESTIONNAIRE,
    WEIGHT_MAX_KG,
    WEIGHT_MIN_KG,
    WEIGHT_STEP_KG,
    check_in,
    checked_weight,
    checklist_changed,
    open_checklist,
    record_pre_session_questionnaire,
    record_substance_decision,
    save_checklist,
)
from ketaflow.treatments.services.controlled_substances import BALANCE_TOLERANCE_MG, record_cs_log
from ketaflow.treatments.services.discharge import (
    RECOVERY_SCALES,
    DischargeStep,
    NotReadyToLeave,
    RecoveryScoresRefused,
    Signed,
    amend,
    record_discharge,
    record_discharge_step,
    sign_session,
    summary_rows,
)
from ketaflow.treatments.services.observations import (
    SESSION_SCALES,
    acknowledge_alert,
    acknowledge_rescue,
    add_note,
    record_rescue,
    record_scale,
    record_side_effect,
    record_vitals,
    resolve_side_effect,
)
from ketaflow.treatments.services.orders import confirm_order, enter_order

__all__ = [
    "BALANCE_TOLERANCE_MG",
    "FUTURE_TOLERANCE",
    "PRE_SESSION_QUESTIONNAIRE",
    "RECOVERY_SCALES",
    "SESSION_SCALES",
    "UNCHANGED",
    "WEIGHT_MAX_KG",
    "WEIGHT_MIN_KG",
    "WEIGHT_STEP_KG",
    "DischargeStep",
    "EventCorrection",
    "EventResult",
    "NotReadyToLeave",
    "RecoveryScoresRefused",
    "SessionConflict",
    "SessionLocked",
    "Signed",
    "VersionConflict",
    "acknowledge_alert",
    "acknowledge_rescue",
    "add_note",
    "amend",
    "check_in",
    "checked_weight",
    "checklist_changed",
    "complete_dosing",
    "confirm_order",
    "enter_order",
    "mark_event_entered_in_error",
    "open_checklist",
    "record_administration",
    "record_cs_log",
    "record_discharge",
    "record_discharge_step",
    "record_pre_session_questionnaire",
    "record_rescue",
    "record_scale",
    "record_side_effect",
    "record_substance_decision",
    "record_vitals",
    "resolve_side_effect",
    "save_checklist",
    "sign_session",
    "summary_rows",
]
