"""What booking and check-in ask of the apps above courses: the treatment gates, and the
route of the patient's signed eligibility review.

The rules live above courses (eligibility and consent in `screening/selectors.py`, the open
risk alerts in `treatments/risk.py`), and arrows point down: courses may not import them. So
each of those apps registers its answer here when Django is ready (its `apps.py`), and the
booking page, the desk check-in and "Start a course" ask this module. The rules keep their
one home; this module only holds the calls (like a signal, but with an answer).

No permission check and no audit here: callers have scoped the patient and checked theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ketaflow.patients.models import Patient


@dataclass(frozen=True)
class Gate:
    """One gate before dosing, as booking and check-in show it."""

    label: str  # "Eligibility", "Consent", ...
    ok: bool
    summary: str = ""  # what is missing, in words anyone who books may read
    reasons: tuple[str, ...] = ()  # the detail (clinical when `clinical_detail`)
    clinical_detail: bool = False


@dataclass(frozen=True)
class Reviewed:
    """The protocol the patient's latest signed eligibility review was judged under."""

    protocol_code: str  # a built-in protocol's code, e.g. "iv-racemic"
    route: str  # its route, e.g. "iv"


GateCheck = Callable[[Patient, datetime], Gate]
ReviewedOf = Callable[[Patient, datetime], "Reviewed | None"]

_gates: dict[str, tuple[int, bool, GateCheck]] = {}
_reviewed: list[ReviewedOf] = []


def register_gate(key: str, check: GateCheck, *, order: int, clinical_only: bool = False) -> None:
    """Add (or replace, by `key`) a gate; gates are shown by `order`. A `clinical_only` gate
    (the suicide-risk alerts) is asked and shown only for roles that read clinical data."""
    _gates[key] = (order, clinical_only, check)


def register_reviewed(reviewed_of: ReviewedOf) -> None:
    """Who answers "which protocol was the patient's latest signed review judged under"."""
    if reviewed_of not in _reviewed:
        _reviewed.append(reviewed_of)


def gates(patient: Patient, at: datetime, *, clinical: bool) -> list[Gate]:
    """Every registered gate for the patient at `at`, in order (passed ones included);
    `clinical`: whether the reader may see clinical data (else clinical-only gates are left
    out and the caller shows only each gate's summary when its detail is clinical)."""
    rows = sorted(_gates.values(), key=lambda g: g[0])
    return [check(patient, at) for _order, only, check in rows if clinical or not only]


def missing(patient: Patient, at: datetime, *, clinical: bool) -> list[Gate]:
    """Only the gates that do not pass."""
    return [g for g in gates(patient, at, clinical=clinical) if not g.ok]


def reviewed(patient: Patient, at: datetime) -> Reviewed | None:
    """The latest signed review's protocol and route, or None (no signed review)."""
    for reviewed_of in _reviewed:
        found = reviewed_of(patient, at)
        if found is not None:
            return found
    return None


def in_words(gate: Gate, *, clinical: bool) -> str:
    """One line for a gate that does not pass: its label, what is missing and, for a reader
    allowed to see it, the detail ("Consent: the patient has not signed ...")."""
    detail = " ".join(gate.reasons) if (clinical or not gate.clinical_detail) else ""
    text = detail or (gate.summary[:1].upper() + gate.summary[1:] + ".")
    return f"{gate.label}: {text}"


def missing_in_words(patient: Patient, at: datetime, *, clinical: bool) -> list[str]:
    """What booking and check-in show: one line per gate that does not pass."""
    return [in_words(g, clinical=clinical) for g in missing(patient, at, clinical=clinical)]


def check_in_message(patient: Patient, at: datetime, *, clinical: bool) -> tuple[bool, str]:
    """The check-in's one message on the gates before dosing: (all pass, text)."""
    lines = missing_in_words(patient, at, clinical=clinical)
    if lines:
        return False, "Checked in. Before the first dose today: " + " ".join(lines)
    labels = [g.label.lower() for g in gates(patient, at, clinical=clinical)]
    if not labels:
        return True, "Checked in."
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    verb = "is" if len(labels) == 1 else "are"
    return True, f"Checked in. {listed[:1].upper() + listed[1:]} {verb} in order."
