"""The order's hard limits (IV rate, duration, mg cap) and the weight-basis choice, everywhere.

The service, the page and the JSON API refuse the same orders; no override passes a hard
limit (issue #11 item 2: 1 mg/kg over 2 min once passed with two soft overrides).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaflow.patients.models import Measurement
from ketaflow.patients.services import add_entry
from ketaflow.treatments import services
from ketaflow.treatments.models import DoseOrder
from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db

WHY = "trials dosed actual weight; agreed with the patient"
EVERY_CODE = dict.fromkeys(
    (
        "infusion.below_hard_min_minutes",
        "infusion.above_hard_max_mg_per_kg_per_h",
        "infusion.below_soft_min_minutes",
        "dose.above_soft_max_mg_per_kg",
        "dose.above_hard_max_mg",
    ),
    "I accept the risk of this rate",
)


def _weigh(nurse: Any, session: Any, kg: float) -> Any:
    services.save_checklist(nurse, session, fresh(session).version, weight_kg=kg)
    return fresh(session)


@pytest.mark.parametrize(("mg_per_kg", "minutes"), [(0.5, 2), (0.5, 5), (1.0, 2), (1.0, 30)])
def test_a_too_fast_infusion_is_refused_by_the_service_even_with_every_override(
    ready: Any, prescriber: Any, mg_per_kg: float, minutes: float
) -> None:
    with pytest.raises(ValidationError) as err:
        services.enter_order(
            prescriber,
            ready,
            ready.version,
            mg_per_kg=mg_per_kg,
            minutes=minutes,
            concentration_mg_per_ml=1.0,
            confirm=True,
            overrides=EVERY_CODE,
        )
    text = str(err.value)
    assert "Hard limit" in text and "infusion." in text
    assert not DoseOrder.objects.filter(session=ready).exists()


@pytest.mark.parametrize("minutes", ["2", "5"])
def test_the_page_refuses_half_a_mg_per_kg_over_2_or_5_minutes(
    client: Any, login: Any, prescriber: Any, ready: Any, minutes: str
) -> None:
    r = login(client, prescriber).post(
        reverse("treatments:act", args=[ready.pk, "order"]),
        {
            "version": ready.version,
            "mg_per_kg": "0.5",
            "minutes": minutes,
            "concentration_mg_per_ml": "1",
            "confirm": "on",
            **{f"override:{code}": reason for code, reason in EVERY_CODE.items()},
        },
        follow=True,
    )
    assert "infusion.below_hard_min_minutes" in r.content.decode()
    assert not DoseOrder.objects.filter(session=ready).exists()


@pytest.mark.parametrize("minutes", [2, 5])
def test_the_api_refuses_what_the_page_refuses(
    client: Any, login: Any, prescriber: Any, ready: Any, minutes: int
) -> None:
    r = login(client, prescriber).post(
        f"/api/v1/treatments/{ready.pk}/order",
        {
            "version": ready.version,
            "mg_per_kg": 0.5,
            "minutes": minutes,
            "concentration_mg_per_ml": 1.0,
            "confirm": True,
            "overrides": EVERY_CODE,
        },
        content_type="application/json",
    )
    assert 400 <= r.status_code < 500
    assert "infusion.below_hard_min_minutes" in r.content.decode()
    assert not DoseOrder.objects.filter(session=ready).exists()


def test_every_order_records_its_mg_cap(ordered: Any) -> None:
    order = ordered.orders.get()
    assert order.max_dose_mg == 100.0 and order.dose_mg == 35.0


def test_the_prescribers_own_lower_cap_is_recorded_and_caps_the_dose(
    ready: Any, prescriber: Any
) -> None:
    order = services.enter_order(
        prescriber,
        ready,
        ready.version,
        mg_per_kg=0.5,
        concentration_mg_per_ml=1.0,
        max_dose_mg=30,
        confirm=True,
    )
    assert order.max_dose_mg == 30.0 and order.dose_mg == 30.0


def test_an_order_above_the_routes_mg_cap_is_refused(
    nurse: Any, ready: Any, prescriber: Any
) -> None:
    session = _weigh(nurse, ready, 210)
    with pytest.raises(ValidationError) as err:
        services.enter_order(
            prescriber,
            session,
            session.version,
            mg_per_kg=0.5,
            weight_basis="actual",
            weight_basis_reason=WHY,
            concentration_mg_per_ml=1.0,
            confirm=True,
            overrides=EVERY_CODE,
        )
    assert "dose.above_hard_max_mg" in str(err.value)


def test_a_heavy_patient_without_a_height_needs_a_chosen_weight_basis_and_reason(
    nurse: Any, ready: Any, prescriber: Any
) -> None:
    session = _weigh(nurse, ready, 125)
    with pytest.raises(ValidationError) as err:
        services.enter_order(prescriber, session, session.version, mg_per_kg=0.5,
                             concentration_mg_per_ml=1.0)  # fmt: skip
    assert "weight_basis" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.enter_order(prescriber, session, session.version, mg_per_kg=0.5,
                             weight_basis="actual", concentration_mg_per_ml=1.0)  # fmt: skip
    assert "weight_basis_reason" in err.value.message_dict
    order = services.enter_order(
        prescriber,
        session,
        session.version,
        mg_per_kg=0.5,
        weight_basis="actual",
        weight_basis_reason=WHY,
        concentration_mg_per_ml=1.0,
    )
    assert order.weight_basis == "actual" and order.weight_basis_reason == WHY
    assert any("choose the weight basis" in n for n in order.notes)


def test_bmi_30_with_a_recorded_height_asks_too_and_ideal_weight_is_recorded(
    nurse: Any, ready: Any, prescriber: Any
) -> None:
    add_entry(
        nurse,
        ready.patient,
        "measurements",
        {
            "kind": Measurement.Kind.HEIGHT,
            "entered_value": 170,
            "entered_unit": "cm",
            "measured_on": timezone.localdate(),
        },
    )
    session = _weigh(nurse, ready, 95)  # BMI 32.9
    with pytest.raises(ValidationError) as err:
        services.enter_order(prescriber, session, session.version, mg_per_kg=0.5,
                             concentration_mg_per_ml=1.0)  # fmt: skip
    assert "BMI 32.9" in str(err.value)
    order = services.enter_order(
        prescriber,
        session,
        session.version,
        mg_per_kg=0.5,
        weight_basis="ideal",
        weight_basis_reason="consensus: ideal weight at BMI 30 or more",
        concentration_mg_per_ml=1.0,
    )
    assert order.weight_basis == "ideal" and order.basis_weight_kg < 95


def test_the_page_and_the_api_ask_for_the_weight_basis_alike(
    client: Any, login: Any, nurse: Any, prescriber: Any, ready: Any
) -> None:
    session = _weigh(nurse, ready, 125)
    c = login(client, prescriber)
    page = c.post(
        reverse("treatments:act", args=[session.pk, "order"]),
        {"version": session.version, "mg_per_kg": "0.5", "concentration_mg_per_ml": "1",
         "weight_basis": ""},
        follow=True,
    )  # fmt: skip
    assert "choose the weight basis" in page.content.decode()
    api = c.post(
        f"/api/v1/treatments/{session.pk}/order",
        {"version": session.version, "mg_per_kg": 0.5, "concentration_mg_per_ml": 1.0},
        content_type="application/json",
    )
    assert 400 <= api.status_code < 500 and "choose the weight basis" in api.content.decode()
    assert not DoseOrder.objects.filter(session=session).exists()
    ok = c.post(
        f"/api/v1/treatments/{session.pk}/order",
        {"version": session.version, "mg_per_kg": 0.5, "concentration_mg_per_ml": 1.0,
         "weight_basis": "actual", "weight_basis_reason": WHY},
        content_type="application/json",
    )  # fmt: skip
    assert ok.status_code == 200, ok.content
    assert ok.json()["order"]["weight_basis_reason"] == WHY
    assert ok.json()["order"]["max_dose_mg"] == 100.0


def test_the_session_page_shows_the_hard_limits_and_their_sign_off_flags(
    client: Any, login: Any, prescriber: Any, ready: Any
) -> None:
    body = login(client, prescriber).get(reverse("treatments:session", args=[ready.pk])).content
    text = body.decode()
    assert "fastest rate 1.5 mg/kg/h (clinic default, needs local sign-off)" in text
    assert "shortest infusion 20 min" in text and "mg cap 100 mg" in text


def test_an_order_proposed_under_older_limits_cannot_be_confirmed_past_todays(
    ready: Any, nurse: Any, prescriber: Any
) -> None:
    """A proposed order stored before the ceiling existed: 0.5 mg/kg x 70 kg over 2 min."""
    DoseOrder.objects.create(
        session=ready,
        status="proposed",
        route="iv",
        mg_per_kg=0.5,
        weight_basis="actual",
        actual_weight_kg=70,
        basis_weight_kg=70,
        dose_mg=35,
        concentration_mg_per_ml=1.0,
        minutes=2,
        rate_ml_per_h=1050,
        mg_per_min=17.5,
        warnings=[{"code": "infusion.below_soft_min_minutes", "message": "short"}],
        proposed_by=nurse,
    )
    with pytest.raises(ValidationError) as err:
        services.confirm_order(
            prescriber,
            ready,
            fresh(ready).version,
            overrides={"infusion.below_soft_min_minutes": "I accept the risk of this rate"},
        )
    assert "infusion.below_hard_min_minutes" in str(err.value)
    assert DoseOrder.objects.get(session=ready).status == "proposed"
