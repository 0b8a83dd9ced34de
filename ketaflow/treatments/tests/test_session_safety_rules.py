"""The rules that keep a session safe: versions, limits, roles, locks (both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketaflow.treatments import services
from ketaflow.treatments.models import DoseOrder, OrderStatus, SessionStatus, VitalsReading
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db


def test_a_write_on_a_stale_version_is_refused_saying_who_and_when(
    ready: Any, nurse: Any, prescriber: Any
) -> None:
    seen = ready.version
    services.add_note(prescriber, ready, seen, "First.")
    with pytest.raises(services.VersionConflict) as err:
        services.add_note(nurse, ready, seen, "Second, from an old screen.")
    assert "someone else" in err.value.message.lower() and "reload" in err.value.message
    assert fresh(ready).notes.count() == 1


def test_every_write_moves_the_version_on(ready: Any, nurse: Any) -> None:
    before = ready.version
    services.add_note(nurse, ready, before, "Note.")
    assert fresh(ready).version == before + 1


def test_a_dose_above_the_hard_limit_is_refused_even_for_a_prescriber(
    ready: Any, prescriber: Any
) -> None:
    with pytest.raises(ValidationError) as err:
        services.enter_order(
            prescriber,
            ready,
            ready.version,
            mg_per_kg=1.5,
            concentration_mg_per_ml=1.0,
            confirm=True,
            overrides={"dose.above_hard_max_mg_per_kg": "I really want to."},
        )
    assert "Hard limit" in str(err.value)
    assert not DoseOrder.objects.filter(session=ready).exists()


def test_a_soft_limit_needs_a_prescribers_override_with_a_reason(
    ready: Any, prescriber: Any
) -> None:
    with pytest.raises(ValidationError):
        services.enter_order(
            prescriber,
            ready,
            ready.version,
            mg_per_kg=0.8,
            concentration_mg_per_ml=1.0,
            confirm=True,
        )
    order = services.enter_order(
        prescriber,
        ready,
        fresh(ready).version,
        mg_per_kg=0.8,
        concentration_mg_per_ml=1.0,
        confirm=True,
        overrides={"dose.above_soft_max_mg_per_kg": "Partial response at 0.75 twice."},
    )
    assert order.status == OrderStatus.CONFIRMED and order.overrides[0]["by"] == prescriber.username


def test_a_nurse_proposes_but_cannot_confirm_override_or_sign(
    ready: Any, nurse: Any, prescriber: Any
) -> None:
    order = services.enter_order(
        nurse, ready, ready.version, mg_per_kg=0.8, concentration_mg_per_ml=1.0
    )
    assert order.status == OrderStatus.PROPOSED
    with pytest.raises(PermissionDenied):
        services.confirm_order(
            nurse,
            ready,
            fresh(ready).version,
            overrides={"dose.above_soft_max_mg_per_kg": "Nurse should not override."},
        )
    with pytest.raises(PermissionDenied):
        services.enter_order(
            nurse,
            ready,
            fresh(ready).version,
            mg_per_kg=0.5,
            concentration_mg_per_ml=1.0,
            confirm=True,
        )
    with pytest.raises(PermissionDenied):
        services.sign_session(nurse, ready, fresh(ready).version)
    confirmed = services.confirm_order(
        prescriber,
        ready,
        fresh(ready).version,
        overrides={"dose.above_soft_max_mg_per_kg": "Partial response at 0.75 twice."},
    )
    assert confirmed.pk == order.pk and confirmed.confirmed_by == prescriber


def test_dosing_cannot_start_on_an_unconfirmed_order(ready: Any, nurse: Any) -> None:
    services.enter_order(nurse, ready, ready.version, mg_per_kg=0.5, concentration_mg_per_ml=1.0)
    with pytest.raises(ValidationError):
        services.record_administration(
            nurse, ready, fresh(ready).version, kind="start", rate_ml_per_h=52.5
        )


def test_the_dose_cannot_be_changed_after_the_start(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    services.record_administration(
        nurse, ordered, ordered.version, kind="start", rate_ml_per_h=52.5, at=ago(10)
    )
    with pytest.raises(ValidationError) as err:
        services.enter_order(
            prescriber,
            ordered,
            fresh(ordered).version,
            mg_per_kg=0.6,
            concentration_mg_per_ml=1.0,
            confirm=True,
        )
    assert "Dosing has started" in str(err.value)
    assert DoseOrder.objects.filter(session=ordered, status=OrderStatus.CONFIRMED).count() == 1


def test_an_impossible_event_sequence_is_refused_and_not_stored(ordered: Any, nurse: Any) -> None:
    with pytest.raises(ValidationError) as err:
        services.record_administration(nurse, ordered, ordered.version, kind="pause")
    assert "only a running infusion can be paused" in str(err.value)
    assert not ordered.events.exists()


def test_impossible_vitals_are_refused_with_nothing_recorded(ready: Any, nurse: Any) -> None:
    count = VitalsReading.objects.count()
    with pytest.raises(ValidationError) as err:
        services.record_vitals(nurse, ready, ready.version, sbp=80, dbp=120, hr=70)
    assert "dbp" in err.value.message_dict
    assert VitalsReading.objects.count() == count
    assert fresh(ready).version == ready.version


def test_a_checklist_that_blocks_keeps_the_session_from_starting(
    checked_in: Any, nurse: Any, prescriber: Any
) -> None:
    """Without a signed eligibility review or consent, the real gates block the start."""
    services.save_checklist(nurse, checked_in, checked_in.version, escort_name="Sam")
    assert fresh(checked_in).status == SessionStatus.CHECKED_IN
    from django.utils import timezone

    from ketaflow.treatments import derive

    checklist = derive.checklist_of(fresh(checked_in), timezone.now())
    codes = {i.code for i in checklist.blocking}
    assert {"eligibility", "consent", "fasting", "escort", "weight"} <= codes


def test_a_signed_session_is_locked_and_changes_are_amendments(
    discharged: Any, prescriber: Any, nurse: Any
) -> None:
    services.sign_session(prescriber, discharged, discharged.version)
    session = fresh(discharged)
    with pytest.raises(services.SessionLocked):
        services.add_note(nurse, session, session.version, "Late note.")
    with pytest.raises(services.SessionLocked):
        services.record_vitals(nurse, session, session.version, sbp=120, dbp=80)
    with pytest.raises(ValidationError):
        services.amend(nurse, session, session.version, text="Lot was KX124.", reason="")
    note = services.amend(
        nurse, session, session.version, text="Lot was KX124.", reason="Typo in the lot number."
    )
    assert note.kind == "amendment" and fresh(session).status == SessionStatus.SIGNED


def test_the_cs_log_needs_a_different_witness_and_a_balance_or_a_reason(
    observing: Any, nurse: Any, prescriber: Any
) -> None:
    with pytest.raises(ValidationError) as err:
        services.record_cs_log(
            nurse,
            observing,
            observing.version,
            lot="KX1",
            drawn_mg=50,
            wasted_mg=15,
            witness=nurse,
        )
    assert "witness_id" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.record_cs_log(
            nurse,
            observing,
            observing.version,
            lot="KX1",
            drawn_mg=50,
            wasted_mg=10,
            witness=prescriber,
        )
    assert "discrepancy_reason" in err.value.message_dict
    entry = services.record_cs_log(
        nurse,
        observing,
        observing.version,
        lot="KX1",
        drawn_mg=50,
        wasted_mg=10,
        witness=prescriber,
        discrepancy_reason="5 mg spilt drawing up, witnessed.",
    )
    assert entry.witness == prescriber


def test_the_esketamine_floor_is_never_overridden(observing: Any, prescriber: Any) -> None:
    with pytest.raises(ValidationError):
        services.record_discharge(
            prescriber,
            observing,
            observing.version,
            overrides={"observation.esketamine_floor": "Patient insists on leaving."},
        )
