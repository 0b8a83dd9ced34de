"""A treatment-session world (from the treatments tests) plus a monitor bound to its chair."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.treatments.tests.conftest import (  # noqa: F401  (fixtures, re-exported)
    appointment,
    chair,
    checked_in,
    course,
    gates_open,
    ordered,
    protocols,
    ready,
)


@pytest.fixture
def binding(clinic_admin: Any, chair: Any) -> Any:  # noqa: F811
    """The monitor at chair 1 sends PV1-3 `SURGERY^^V2` (GE) — bound by its bed label `V2`."""
    from ketaflow.devices.configuration import bind_chair

    return bind_chair(clinic_admin, chair.pk, "V2")


def ingest(clinic: Any, *texts: str | bytes, peer: str = "10.0.0.7:40001") -> list[Any]:
    """Run messages through the listener's storage path (one batch), as the listener does."""
    from django.utils import timezone

    from ketaflow.devices.ingest import Frame, ingest_batch

    now = timezone.now()
    frames = [Frame(t.encode() if isinstance(t, str) else t, peer, now) for t in texts]
    return ingest_batch(clinic, frames)


def ack_fields(ack: bytes) -> dict[str, str]:
    """MSA-1/2/3 and ERR-3 of an acknowledgement."""
    text = ack.decode("utf-8", "replace")
    out = {}
    for seg in text.split("\r"):
        f = seg.split("|")
        if f[0] == "MSA":
            out.update(code=f[1], control_id=f[2], text=f[3] if len(f) > 3 else "")
        if f[0] == "ERR":
            out["err"] = f[3]
    return out
