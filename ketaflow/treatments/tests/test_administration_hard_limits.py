"""At the chair, rate changes and boluses are held to the order's rate ceiling and total mg.

The service, the page and the API refuse the same lines, whoever records them (issue #11
item 2). The `ordered` session: 0.5 mg/kg x 70 kg = 35 mg over 40 min at 1 mg/mL = 52.5
mL/h; the ceiling, 1.5 mg/kg/h x 70 kg, is 1.75 mg/min = 105 mL/h at 1 mg/mL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaflow.courses.models import Appointment
from ketaflow.courses.services import start_course
from ketaflow.treatments import services
from ketaflow.treatments.models import (
    AdministrationEvent,
    DoseOrder,
    OrderStatus,
    SessionStatus,
    SideEffect,
    TreatmentSession,
)
from ketaflow.treatments.services import check_in
from ketaflow.treatments.tests.conftest import ago, complete_checklist, fresh

pytestmark = pytest.mark.django_db


def _started(nurse: Any, ordered: Any) -> Any:
    services.record_administration(
        nurse, ordered, ordered.version, kind="start", rate_ml_per_h=52.5, at=ago(20)
    )
    return fresh(ordered)


def test_a_rate_change_above_the_ceiling_is_refused_naming_the_limit(
    nurse: Any, ordered: Any
) -> None:
    session = _started(nurse, ordered)
    with pytest.raises(ValidationError) as err:
        services.record_administration(
            nurse, session, session.version, kind="rate_change", rate_ml_per_h=525
        )
    assert "infusion.rate_above_ceiling" in str(err.value)
    assert "1.5 mg/kg/h" in str(err.value)
    assert "rate_ml_per_h" in err.value.message_dict
    assert session.events.count() == 1


def test_a_rate_change_up_to_the_ceiling_is_recorded_and_flagged(nurse: Any, ordered: Any) -> None:
    session = _started(nurse, ordered)
    result = services.record_administration(
        nurse, session, session.version, kind="rate_change", rate_ml_per_h=105
    )
    assert "rate.above_ordered" in {f.code for f in result.flags}


def test_the_page_and_the_api_refuse_the_same_rate(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    session = _started(nurse, ordered)
    c = login(client, nurse)
    page = c.post(
        reverse("treatments:act", args=[session.pk, "event"]),
        {"version": session.version, "kind": "rate_change", "rate_ml_per_h": "525"},
        follow=True,
    )
    assert "infusion.rate_above_ceiling" in page.content.decode()
    api = c.post(
        f"/api/v1/treatments/{session.pk}/events",
        {"version": session.version, "kind": "rate_change", "rate_ml_per_h": 525},
        content_type="application/json",
    )
    assert 400 <= api.status_code < 500 and "infusion.rate_above_ceiling" in api.content.decode()
    assert session.events.count() == 1


def test_an_iv_push_at_the_start_is_refused(nurse: Any, ordered: Any) -> None:
    with pytest.raises(ValidationError) as err:
        services.record_administration(nurse, ordered, ordered.version, kind="bolus", bolus_mg=20)
    assert "bolus.above_rate_ceiling" in str(err.value)
    assert "bolus_mg" in err.value.message_dict


def test_a_bolus_past_the_orders_total_is_refused_even_for_a_prescriber(
    nurse: Any, prescriber: Any, ordered: Any
) -> None:
    session = _started(nurse, ordered)  # 17.5 mg given by now
    with pytest.raises(ValidationError) as err:
        services.record_administration(
            prescriber, session, session.version, kind="bolus", bolus_mg=18
        )
    assert "bolus.above_ordered_total" in str(err.value)


# ---------------------------------------------------------------------------- SC steps


@pytest.fixture
def sc_course(prescriber: Any, patient: Any, protocols: dict[str, Any]) -> Any:
    return start_course(
        prescriber,
        patient,
        protocols["sc-racemic-anxiety"],
        started_on=timezone.localdate() - timedelta(days=7),
    )


def _earlier_sc_session(
    sc_course: Any, chair: Any, nurse: Any, prescriber: Any, mg_per_kg: float, *, severe: bool
) -> TreatmentSession:
    """A signed session 1 a week ago: its order and its one injection."""
    start = timezone.now() - timedelta(days=7)
    appt = Appointment.objects.create(
        course=sc_course,
        chair=chair,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        session_number=1,
        phase="ascending",
        created_by=prescriber,
    )
    row = TreatmentSession.objects.create(
        clinic=sc_course.patient.clinic,
        appointment=appt,
        course=sc_course,
        patient=sc_course.patient,
        chair=chair,
        protocol_version=sc_course.protocol_version,
        route="sc",
        session_number=1,
        status=SessionStatus.SIGNED,
        signed_at=start + timedelta(hours=2),
        signed_by=prescriber,
    )
    DoseOrder.objects.create(
        session=row,
        status=OrderStatus.CONFIRMED,
        route="sc",
        mg_per_kg=mg_per_kg,
        weight_basis="actual",
        actual_weight_kg=70,
        basis_weight_kg=70,
        dose_mg=mg_per_kg * 70,
        proposed_by=prescriber,
        confirmed_by=prescriber,
        confirmed_at=start,
    )
    AdministrationEvent.objects.create(
        session=row, kind="bolus", at=start + timedelta(minutes=30), bolus_mg=mg_per_kg * 70,
        recorded_by=nurse,
    )  # fmt: skip
    if severe:
        SideEffect.objects.create(
            session=row, kind="nausea", severity="severe", onset_at=start + timedelta(minutes=40),
            recorded_by=nurse,
        )  # fmt: skip
    return row


def _today_sc(sc_course: Any, chair: Any, nurse: Any, prescriber: Any) -> Any:
    start = timezone.now() - timedelta(hours=3)
    appt = Appointment.objects.create(
        course=sc_course,
        chair=chair,
        starts_at=start,
        ends_at=start + timedelta(minutes=150),
        session_number=2,
        phase="ascending",
        created_by=prescriber,
    )
    return complete_checklist(nurse, check_in(nurse, appt))


@pytest.mark.parametrize(("severe", "code"), [(False, "dose.above_last_tolerated"),
                                              (True, "dose.above_first_step")])  # fmt: skip
def test_an_sc_escalation_warns_from_the_last_tolerated_dose_of_the_course(
    gates_open: None,
    sc_course: Any,
    chair: Any,
    nurse: Any,
    prescriber: Any,
    severe: bool,
    code: str,
) -> None:
    _earlier_sc_session(sc_course, chair, nurse, prescriber, 0.25, severe=severe)
    session = _today_sc(sc_course, chair, nurse, prescriber)
    order = services.enter_order(nurse, session, session.version, mg_per_kg=0.5)
    assert [w["code"] for w in order.warnings] == [code]
    with pytest.raises(ValidationError):
        services.confirm_order(prescriber, session, fresh(session).version)
    services.confirm_order(
        prescriber, session, fresh(session).version,
        overrides={code: "0.25 mg/kg tolerated last week; planned next step"},
    )  # fmt: skip


def test_repeating_the_tolerated_sc_dose_needs_no_override(
    gates_open: None, sc_course: Any, chair: Any, nurse: Any, prescriber: Any
) -> None:
    _earlier_sc_session(sc_course, chair, nurse, prescriber, 0.5, severe=False)
    session = _today_sc(sc_course, chair, nurse, prescriber)
    order = services.enter_order(prescriber, session, session.version, mg_per_kg=0.5, confirm=True)
    assert order.warnings == [] and order.max_dose_mg == 150.0
