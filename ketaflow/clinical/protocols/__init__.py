"""Versioned treatment protocols with safe defaults, and the sessions they propose.

- `model`: `Protocol`, `Phase`, `Setting` (a `ClinicDefault` plus the clinic's own value),
  `Protocol.revise` for the next version.
- `builtin`: the shipped protocols (IV induction, SC ascending for anxiety, esketamine label).
- `session_dates`: proposed session dates on the clinic's working days.
- `next_step`: what the protocol proposes next given the sessions done and the outcome.
- `serialise`: to and from JSON-safe dicts for storage.
"""

from __future__ import annotations

from ketaflow.clinical.protocols.builtin import (
    builtin,
    builtin_protocols,
    esketamine_label,
    iv_induction,
    sc_ascending_anxiety,
)
from ketaflow.clinical.protocols.model import (
    DEFAULT,
    DoseUnit,
    Phase,
    PhaseKind,
    Protocol,
    Setting,
)
from ketaflow.clinical.protocols.next_step import (
    NextAction,
    NextStep,
    Review,
    ReviewReason,
    next_step,
)
from ketaflow.clinical.protocols.serialise import protocol_from_dict, protocol_to_dict
from ketaflow.clinical.protocols.session_dates import (
    ClinicCalendar,
    PlannedDose,
    ProposedSession,
    propose_sessions,
)

__all__ = [
    "DEFAULT",
    "ClinicCalendar",
    "DoseUnit",
    "NextAction",
    "NextStep",
    "Phase",
    "PhaseKind",
    "PlannedDose",
    "ProposedSession",
    "Protocol",
    "Review",
    "ReviewReason",
    "Setting",
    "builtin",
    "builtin_protocols",
    "esketamine_label",
    "iv_induction",
    "next_step",
    "propose_sessions",
    "protocol_from_dict",
    "protocol_to_dict",
    "sc_ascending_anxiety",
]
