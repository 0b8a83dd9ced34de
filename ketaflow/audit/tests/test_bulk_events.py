"""`record_events` writes many events at once with exactly the fields `record_event` gives."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.audit import context
from ketaflow.audit.models import AccessEvent
from ketaflow.audit.services import Event, record_event, record_events

FIELDS = (
    "actor",
    "actor_label",
    "clinic",
    "patient",
    "action",
    "object_type",
    "object_id",
    "detail",
    "ip_address",
    "user_agent",
    "request_id",
    "path",
    "channel",
)


def _fields(pks: list[int]) -> list[dict[str, Any]]:
    rows = {r["pk"]: r for r in AccessEvent.objects.filter(pk__in=pks).values("pk", *FIELDS)}
    return [{k: v for k, v in rows[pk].items() if k != "pk"} for pk in pks]


def _hl7(request_id: str, ip: str | None = "10.0.0.7") -> context.RequestContext:
    return context.RequestContext(ip, "mllp", request_id, "mllp", "hl7")


def test_a_bulk_event_has_the_fields_a_single_event_has(nurse: Any, patient: Any) -> None:
    calls: list[dict[str, Any]] = [
        {"actor": nurse, "action": "view", "obj": patient, "detail": {"part": "chart"}},
        {"actor": None, "action": "create", "clinic_id": nurse.clinic_id, "actor_label": "x"},
        {"actor": nurse, "action": "update", "obj": nurse, "patient_id": patient.pk},
    ]
    token = context.activate(_hl7("a" * 32))
    try:
        one = [record_event(**c).pk for c in calls]
        many = [e.pk for e in record_events(Event(**c) for c in calls)]
    finally:
        context.reset(token)
    assert _fields(many) == _fields(one)
    assert _fields(many)[0]["patient"] == patient.pk and _fields(many)[0]["channel"] == "hl7"


def test_each_bulk_event_keeps_its_own_request_context(clinic: Any) -> None:
    """One batch of monitor messages: each message came from its own connection and has its
    own request id; an event without a context takes the current request's (here none)."""
    events = record_events(
        [
            Event(None, "create", clinic_id=clinic.pk, context=_hl7("b" * 32)),
            Event(None, "create", clinic_id=clinic.pk, context=_hl7("c" * 32, ip=None)),
            Event(None, "create", clinic_id=clinic.pk),
        ]
    )
    rows = _fields([e.pk for e in events])
    assert [(r["request_id"], r["ip_address"], r["channel"]) for r in rows] == [
        ("b" * 32, "10.0.0.7", "hl7"),
        ("c" * 32, None, "hl7"),
        ("", None, "system"),
    ]
    assert [r["actor_label"] for r in rows] == ["system"] * 3


def test_an_unknown_action_writes_nothing(clinic: Any) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        record_events([Event(None, "create"), Event(None, "poke")])
    assert not AccessEvent.objects.exists()
    assert record_events([]) == []
