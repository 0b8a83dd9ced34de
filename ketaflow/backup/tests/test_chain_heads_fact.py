"""A backup records each audit chain's head, as `ketaflow audit verify` sees it, so a restore
that lost the newest events or carries rewritten ones is refused (#14 backup, #15 chain)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from ketaflow.audit.chain import verify_chain
from ketaflow.audit.services import record_event
from ketaflow.backup.facts import FACTS, Database, audit_chain_heads, differences

pytestmark = pytest.mark.django_db


def _db() -> Database:
    return Database(connection.vendor, connection.cursor())


def test_the_heads_fact_is_the_verified_chains_heads(
    nurse: Any, patient: Any, outsider: Any
) -> None:
    record_event(actor=nurse, action="view", obj=patient)
    record_event(actor=outsider, action="list", detail={"part": "x"})
    report = verify_chain()
    assert report.ok
    expected = {str(h.chain): [h.seq, h.row_hash] for h in report.heads}
    assert audit_chain_heads(_db()) == expected
    assert "audit_chain_heads" in FACTS


def test_a_newer_event_than_the_backup_recorded_is_a_difference(nurse: Any, patient: Any) -> None:
    record_event(actor=nurse, action="view", obj=patient)
    recorded = {"audit_chain_heads": audit_chain_heads(_db())}
    record_event(actor=nurse, action="view", obj=patient)
    found = differences(recorded, {"audit_chain_heads": audit_chain_heads(_db())})
    assert found and "audit_chain_heads" in found[0]
