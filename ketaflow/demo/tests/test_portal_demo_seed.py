"""`seed_portal_demo`: a forms-due list, a working link and one open risk alert, all synthetic."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from ketaflow.demo.portal import DEMO_RULE_REASON, seed_portal_demo
from ketaflow.portal.models import ScheduleRule
from ketaflow.portal.selectors import due_forms
from ketaflow.questionnaires.models import RiskAlert

pytestmark = pytest.mark.django_db


@pytest.fixture
def synthetic(
    clinic: Any,
    course: Any,
    give_session: Any,
    today: Any,
    second_patient: Any,
    prescriber: Any,
    protocols: dict[str, Any],
) -> Any:
    from ketaflow.courses.services import start_course

    clinic.is_synthetic = True
    clinic.save()
    give_session(course, today - timedelta(days=30))
    start_course(prescriber, second_patient, protocols["iv-racemic"], started_on=today)
    return clinic


def test_the_demo_has_a_due_list_a_link_and_an_open_alert(synthetic: Any, nurse: Any) -> None:
    lines: list[str] = []
    demo = seed_portal_demo(synthetic, nurse=nurse, base_url="http://demo.local", note=lines.append)
    assert demo.due_forms == 2
    assert {r.instrument for r in due_forms(nurse)} == {"gad7", "phq9"}
    assert demo.link_url.startswith("http://demo.local/p/q/")
    assert any(demo.link_url in line for line in lines)
    page = Client().get(demo.link_url.removeprefix("http://demo.local"))
    assert page.status_code == 200 and "Fill in the GAD-7" in page.content.decode()
    alert = RiskAlert.objects.get()
    assert alert.is_open and demo.alert_id == alert.pk
    assert alert.patient.mrn == "KF-000002"


def test_running_the_demo_again_adds_no_second_rule_or_alert(synthetic: Any, nurse: Any) -> None:
    seed_portal_demo(synthetic, nurse=nurse, note=lambda _: None)
    seed_portal_demo(synthetic, nurse=nurse, note=lambda _: None)
    assert ScheduleRule.objects.filter(reason=DEMO_RULE_REASON).count() == 2
    assert RiskAlert.objects.count() == 1


def test_the_demo_refuses_a_real_clinic(clinic: Any, nurse: Any) -> None:
    with pytest.raises(ValueError, match="synthetic"):
        seed_portal_demo(clinic, nurse=nurse)
