"""The chair board computes every checked-in chair's pre-session checklist in one pass
(`derive.checklists_of`, inputs read for all chairs at once). Each chair's checklist must be
exactly the one its session gets alone (`derive.checklist_of`): no answer, alert or weight
lands on another chair's patient."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from ketaflow.treatments import derive, services
from ketaflow.treatments.models import TreatmentSession
from ketaflow.treatments.tests.conftest import fresh
from ketaflow.treatments.tests.test_chair_board_query_count import _fill_chair
from ketaflow.treatments.tests.test_suicide_risk_gates_the_start import raise_alert

pytestmark = pytest.mark.django_db


def test_checklists_read_together_equal_each_sessions_own_checklist(
    clinic: Any,
    clinic_admin: Any,
    nurse: Any,
    prescriber: Any,
    protocols: Any,
    front_desk: Any,
    gates_open: None,
) -> None:
    world = {
        "clinic": clinic,
        "admin": clinic_admin,
        "nurse": nurse,
        "prescriber": prescriber,
        "protocol": protocols["iv-racemic"],
        "front_desk": front_desk,
        "dose": False,
    }
    for n in (1, 2, 3):
        _fill_chair(n, **world)
    sessions = {
        s.chair.name: s
        for s in TreatmentSession.objects.select_related(
            "patient__clinic", "chair", "course", "protocol_version", "appointment"
        )
    }
    raise_alert(nurse, sessions["Chair 2"].patient, minutes_ago=5)  # chair 2: risk waits
    third = sessions["Chair 3"]
    services.save_checklist(nurse, third, fresh(third).version, escort_name="")  # no escort
    now = timezone.now()
    found = list(sessions.values())
    together = derive.checklists_of(found, now)
    for s in found:
        assert together[s.pk] == derive.checklist_of(s, now), s.chair.name
    assert together[sessions["Chair 1"].pk].can_start
    blocked = {
        name: {i.code for i in together[sessions[name].pk].blocking}
        for name in ("Chair 2", "Chair 3")
    }
    assert blocked["Chair 2"] and blocked["Chair 3"]
    assert blocked["Chair 2"] != blocked["Chair 3"], blocked  # each its own reason
