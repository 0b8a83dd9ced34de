"""Oral courses: titration refuses a step above the ceiling on every path; a soft step needs a
prescriber's override with a reason, recorded. A course on the built-in oral protocol is
started, booked, checked in, ordered, dosed and discharged like any other (issue #16).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.treatments import derive, services
from ketaflow.treatments.models import DoseOrder
from ketaflow.treatments.tests.conftest import complete_checklist, fresh, make_discharge_ready

pytestmark = pytest.mark.django_db

WHY = "responding slowly; tolerated 75 mg well"


@pytest.fixture
def oral_course(prescriber: Any, patient: Any, protocols: dict[str, Any]) -> Any:
    from ketaflow.courses.services import start_course

    return start_course(
        prescriber,
        patient,
        protocols["oral-racemic-titration"],
        started_on=timezone.localdate(),
    )


def _session(course: Any, chair: Any, prescriber: Any, nurse: Any, number: int) -> Any:
    """Today's session `number` of the course, checked in and through its checklist."""
    from ketaflow.courses.models import Appointment

    start = timezone.now() - timedelta(hours=3)
    appointment = Appointment.objects.create(
        course=course,
        chair=chair,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        session_number=number,
        phase=course.protocol_version.load().phase_of(number)[0].code,
        created_by=prescriber,
    )
    return complete_checklist(nurse, services.check_in(nurse, appointment))


def _give(nurse: Any, session: Any, mg: float) -> Any:
    services.record_administration(
        nurse, session, fresh(session).version, kind="bolus", bolus_mg=mg
    )
    services.complete_dosing(nurse, session, fresh(session).version)
    return fresh(session)


@pytest.fixture
def after_50_and_75(
    clock: Any, gates_open: None, oral_course: Any, chair: Any, prescriber: Any, nurse: Any
) -> Any:
    """50 mg on day 0, 75 mg on day 3; today is day 6 with session 3 ready to order."""
    day0 = timezone.now()
    for number, (days, mg) in enumerate(((0, 50.0), (3, 75.0)), start=1):
        clock(day0 + timedelta(days=days))
        session = _session(oral_course, chair, prescriber, nurse, number)
        services.enter_order(prescriber, session, session.version, dose_mg=mg, confirm=True)
        _give(nurse, session, mg)
    clock(day0 + timedelta(days=6))
    return _session(oral_course, chair, prescriber, nurse, 3)


def test_an_oral_course_runs_from_check_in_to_discharge(
    clock: Any, gates_open: None, oral_course: Any, chair: Any, prescriber: Any, nurse: Any
) -> None:
    session = _session(oral_course, chair, prescriber, nurse, 1)
    assert session.route == "oral"
    order = services.enter_order(prescriber, session, session.version, dose_mg=50, confirm=True)
    assert order.status == "confirmed" and order.dose_mg == 50 and order.warnings == []
    assert order.max_dose_mg == 150
    assert "start" in order.notes[0]
    session = _give(nurse, session, 50)
    assert derive.discharge_policy(session).observation_min_oral.value == 120
    clock(timezone.now() + timedelta(minutes=125))  # the 2 h observation of an oral dose
    session = make_discharge_ready(nurse, session)
    _record, ready = services.record_discharge(
        nurse,
        session,
        session.version,
        aldrete_score=10,
        dissociation_resolved=True,
        escort_present=True,
        told_not_to_drive=True,
        discharge=True,
    )
    assert ready.ready and fresh(session).status == "discharged"
    assert derive.supervised_history(fresh(session)) == []  # not its own history


def test_the_history_reads_the_delivered_doses(after_50_and_75: Any) -> None:
    history = derive.supervised_history(after_50_and_75)
    assert [d.mg for d in history] == [50, 75]
    assert (history[1].on - history[0].on).days == 3


def test_the_published_next_step_needs_no_override(after_50_and_75: Any, prescriber: Any) -> None:
    session = after_50_and_75
    order = services.enter_order(prescriber, session, session.version, dose_mg=100, confirm=True)
    assert order.status == "confirmed" and order.warnings == [] and order.overrides == []


def test_titration_refuses_a_step_above_the_ceiling_even_with_every_override(
    after_50_and_75: Any, prescriber: Any
) -> None:
    session = after_50_and_75
    with pytest.raises(ValidationError) as err:
        services.enter_order(
            prescriber,
            session,
            session.version,
            dose_mg=175,
            confirm=True,
            overrides={"titration.step_above_protocol_step": WHY},
        )
    assert "titration.above_max_mg_per_dose" in str(err.value)
    assert not DoseOrder.objects.filter(session=session).exists()


def test_titration_refuses_a_dose_past_the_weekly_ceiling(
    clock: Any, after_50_and_75: Any, prescriber: Any, nurse: Any
) -> None:
    session = after_50_and_75  # day 6: 50 (day 0) + 75 (day 3) in the week
    services.enter_order(prescriber, session, session.version, dose_mg=100, confirm=True)
    _give(nurse, session, 100)
    course = session.course
    clock(timezone.now() + timedelta(days=1))  # day 7: 75 + 100 in the week
    later = _session(course, session.chair, prescriber, nurse, 4)
    with pytest.raises(ValidationError) as err:
        services.enter_order(
            prescriber,
            later,
            later.version,
            dose_mg=150,
            confirm=True,
            overrides={
                "titration.step_above_protocol_step": WHY,
                "titration.step_too_soon": WHY,
            },
        )
    assert "titration.above_max_mg_per_7_days" in str(err.value)
    assert not DoseOrder.objects.filter(session=later).exists()


def test_a_step_larger_than_the_protocols_needs_an_override_with_a_reason_recorded(
    after_50_and_75: Any, prescriber: Any, nurse: Any
) -> None:
    session = after_50_and_75
    proposed = services.enter_order(nurse, session, session.version, dose_mg=125)
    assert [w["code"] for w in proposed.warnings] == ["titration.step_above_protocol_step"]
    with pytest.raises(ValidationError):
        services.confirm_order(prescriber, session, fresh(session).version)
    with pytest.raises(ValidationError):
        services.confirm_order(
            prescriber,
            session,
            fresh(session).version,
            overrides={"titration.step_above_protocol_step": "ok"},
        )
    confirmed = services.confirm_order(
        prescriber,
        session,
        fresh(session).version,
        overrides={"titration.step_above_protocol_step": WHY},
    )
    assert confirmed.overrides == [
        {"code": "titration.step_above_protocol_step", "reason": WHY, "by": prescriber.username}
    ]
    details = [e.detail for e in AccessEvent.objects.filter(detail__has_key="overrides")]
    assert any(
        o["code"] == "titration.step_above_protocol_step" and o["reason"] == WHY
        for d in details
        for o in d["overrides"]
    )


def test_a_nurse_cannot_override_a_titration_step(after_50_and_75: Any, nurse: Any) -> None:
    session = after_50_and_75
    with pytest.raises(Exception):  # noqa: B017 - permission or validation: never confirmed
        services.enter_order(
            nurse,
            session,
            session.version,
            dose_mg=125,
            confirm=True,
            overrides={"titration.step_above_protocol_step": WHY},
        )
    assert not DoseOrder.objects.filter(session=session, status="confirmed").exists()


def test_the_page_refuses_a_step_above_the_ceiling(
    client: Any, login: Any, prescriber: Any, after_50_and_75: Any
) -> None:
    session = after_50_and_75
    r = login(client, prescriber).post(
        reverse("treatments:act", args=[session.pk, "order"]),
        {
            "version": session.version,
            "dose_mg": "200",
            "confirm": "on",
            "override:titration.step_above_protocol_step": WHY,
        },
        follow=True,
    )
    assert "titration.above_max_mg_per_dose" in r.content.decode()
    assert not DoseOrder.objects.filter(session=session).exists()


def test_the_api_refuses_a_step_above_the_ceiling(
    client: Any, login: Any, prescriber: Any, after_50_and_75: Any
) -> None:
    session = after_50_and_75
    r = login(client, prescriber).post(
        f"/api/v1/treatments/{session.pk}/order",
        {
            "version": session.version,
            "dose_mg": 200,
            "confirm": True,
            "overrides": {"titration.step_above_protocol_step": WHY},
        },
        content_type="application/json",
    )
    assert 400 <= r.status_code < 500
    assert "titration.above_max_mg_per_dose" in r.content.decode()
    assert not DoseOrder.objects.filter(session=session).exists()


def test_the_api_records_a_soft_step_with_its_override(
    client: Any, login: Any, prescriber: Any, after_50_and_75: Any
) -> None:
    session = after_50_and_75
    r = login(client, prescriber).post(
        f"/api/v1/treatments/{session.pk}/order",
        {
            "version": session.version,
            "dose_mg": 125,
            "confirm": True,
            "overrides": {"titration.step_above_protocol_step": WHY},
        },
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    order = DoseOrder.objects.get(session=session, status="confirmed")
    assert order.overrides[0]["reason"] == WHY


def test_the_order_page_shows_the_suggestion_and_the_oral_curve(
    client: Any, login: Any, prescriber: Any, after_50_and_75: Any
) -> None:
    session = after_50_and_75
    page = login(client, prescriber).get(reverse("treatments:session", args=[session.pk]))
    text = page.content.decode()
    assert "Experimental protocol" in text and "step up" in text
    assert 'name="dose_mg"' in text and 'value="100"' in text
    assert 'name="mg_per_kg"' not in text
    assert "needs local sign-off" in text
    services.enter_order(prescriber, session, session.version, dose_mg=100, confirm=True)
    text = client.get(reverse("treatments:session", args=[session.pk])).content.decode()
    assert 'id="pk-oral-chart"' in text and "<svg" in text
    assert "Oral model: 100 mg by mouth peaks at about" in text


def test_a_sublingual_course_refuses_a_dose_above_its_20_mg_ceiling(
    gates_open: None,
    prescriber: Any,
    nurse: Any,
    patient: Any,
    chair: Any,
    protocols: dict[str, Any],
) -> None:
    from ketaflow.courses.services import start_course

    course = start_course(
        prescriber,
        patient,
        protocols["sublingual-racemic-low-dose"],
        started_on=timezone.localdate(),
    )
    session = _session(course, chair, prescriber, nurse, 1)
    with pytest.raises(ValidationError) as err:
        services.enter_order(
            prescriber,
            session,
            session.version,
            dose_mg=25,
            confirm=True,
            overrides={"titration.above_start_dose": WHY},
        )
    assert "titration.above_max_mg_per_dose" in str(err.value)
    order = services.enter_order(prescriber, session, session.version, dose_mg=10, confirm=True)
    assert order.dose_mg == 10 and order.warnings == []


def test_the_weekly_ceiling_counts_doses_taken_at_home(
    monkeypatch: pytest.MonkeyPatch, after_50_and_75: Any, prescriber: Any
) -> None:
    """50 + 75 mg supervised and 100 mg recorded at home yesterday: 100 mg more would make
    325 mg in the week, above the 300 mg ceiling, so it is refused (the hook's provider is the
    home dose diary's in the running app)."""
    from ketaflow.lib.clock import local

    session = after_50_and_75
    yesterday = local(timezone.now(), session.patient.clinic).date() - timedelta(days=1)
    monkeypatch.setattr(derive, "_home_intake", [lambda _pk: [(yesterday, 100.0)]])
    assert derive.titration_proposal(session, timezone.now()) is not None
    with pytest.raises(ValidationError) as err:
        services.enter_order(prescriber, session, session.version, dose_mg=100, confirm=True)
    assert "titration.above_max_mg_per_7_days" in str(err.value)
    assert "100 mg of it at home" in str(err.value)
    assert not DoseOrder.objects.filter(session=session).exists()
    _rules, proposal = derive.titration_proposal(session, timezone.now()) or (None, None)
    assert proposal is not None and proposal.action.value == "hold"  # 75 mg left: no step up
