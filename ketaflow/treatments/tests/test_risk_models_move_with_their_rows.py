"""Risk alerts and assessments moved apps (portal -> questionnaires, treatments) with their rows.

The move is a table rename (questionnaires 0003, treatments 0009, portal 0003): a clinic that
upgrades keeps every alert, its history and every assessment. Shown by migrating a database
that has such rows back to before the move (the rows are then in the portal's tables) and
forward again.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ketaflow.questionnaires.models import RiskAlert
from ketaflow.treatments.models import RiskAssessment
from ketaflow.treatments.tests.test_suicide_risk_gates_the_start import assess, raise_alert

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("portal", "0002_risk_assessment"),
    ("questionnaires", "0002_long_change_reasons"),
    ("treatments", "0008_dose_order_mg_cap_and_weight_basis_reason"),
]
AFTER = [
    ("portal", "0003_risk_models_move_out"),
    ("questionnaires", "0003_risk_alert_moves_in"),
    ("treatments", "0009_risk_assessment_moves_in"),
]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _everything_migrated() -> None:
    """Every app forward to its latest migration: going back to BEFORE also unapplied the
    migrations of apps that depend on the portal's later ones (the home diary's tables went
    with it), which the tests after this one need."""
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return int(cursor.fetchone()[0])


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def test_alerts_their_history_and_assessments_keep_their_rows_across_the_move(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    alert = raise_alert(nurse, ordered.patient)
    assessment = assess(prescriber, ordered)
    alert.refresh_from_db()
    assert alert.assessment_id == assessment.pk
    history = alert.history.count()
    assert history >= 2  # raised, then resolved by the assessment

    try:
        _migrate(BEFORE)
        tables = _tables()
        assert {"portal_riskalert", "portal_historicalriskalert", "portal_riskassessment"} <= tables
        assert not {"questionnaires_riskalert", "treatments_riskassessment"} & tables
        assert _count("portal_riskalert") == 1
        assert _count("portal_historicalriskalert") == history
        assert _count("portal_riskassessment") == 1
    finally:
        _migrate(AFTER)
        _everything_migrated()

    tables = _tables()
    assert not {"portal_riskalert", "portal_historicalriskalert", "portal_riskassessment"} & tables
    moved = RiskAlert.objects.get()
    assert (moved.pk, moved.flag_code, moved.link_id) == (alert.pk, alert.flag_code, None)
    assert moved.assessment == RiskAssessment.objects.get(pk=assessment.pk)
    assert moved.history.count() == history
    assert list(RiskAssessment.objects.get().alerts.all()) == [moved]

    # The id sequences came along with the tables: new rows do not collide with moved ones.
    raise_alert(nurse, ordered.patient, minutes_ago=1)
    assert RiskAlert.objects.count() == 2
    assert RiskAlert.objects.order_by("pk").first() == moved
