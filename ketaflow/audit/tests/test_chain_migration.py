"""Upgrading: migration `audit.0003` links the audit rows written before it, so `ketaflow audit
verify` passes right after the upgrade, and rows written after it follow on."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ketaflow.audit import chain
from ketaflow.audit.models import AccessEvent
from ketaflow.audit.services import record_event

BEFORE = [("audit", "0002_append_only_triggers")]
INSERT = (
    "INSERT INTO audit_accessevent (at, actor_label, clinic_id, action, object_type, "
    "object_id, detail, ip_address, user_agent, request_id, path, channel) VALUES "
    "(%s, %s, %s, 'view', '', '', %s, %s, '', '', '', 'system')"
)


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_chain_verify_after_the_upgrade(clinic: Any, clock: Any) -> None:
    # Every app's latest (going back in audit unapplies whatever depends on its later ones).
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate(BEFORE)
    try:
        rows = [
            ("2026-11-01 10:00:00+00", "a", clinic.pk, '{"n": 1}', "10.0.0.1"),
            ("2026-11-01 10:00:01+00", "b", None, "{}", None),
            ("2026-11-01 10:00:02+00", "c", clinic.pk, '{"é": [1, 2.5]}', "::1"),
        ]
        with connection.cursor() as cursor:
            for row in rows:
                cursor.execute(INSERT, list(row))
    finally:
        _migrate(latest)
    linked = list(AccessEvent.objects.order_by("id"))
    assert [(e.actor_label, e.seq) for e in linked] == [("a", 1), ("b", 1), ("c", 2)]
    assert linked[2].prev_hash == linked[0].row_hash
    report = chain.verify_chain()
    assert report.ok, report.summary()
    new = record_event(actor=None, action="list", clinic_id=clinic.pk)
    assert AccessEvent.objects.get(pk=new.pk).seq == 3
    assert chain.verify_chain().ok
