"""Home doses are authorised only after N supervised doses in a row without a safety event."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaflow.dispensing import services
from ketaflow.dispensing.models import TakeHomeAuthorisation
from ketaflow.dispensing.tests.conftest import AUTH


def test_refused_before_the_supervised_doses_are_done(prescriber, course, supervised):
    supervised(2)
    with pytest.raises(ValidationError, match="3 supervised doses in a row"):
        services.authorise(prescriber, course, **AUTH)
    assert not TakeHomeAuthorisation.objects.exists()


def test_allowed_after_the_supervised_doses_with_the_schedule_iii_expiry(
    prescriber, course, supervised
):
    supervised(3)
    auth = services.authorise(prescriber, course, **AUTH)
    assert auth.supervised_doses == 3 and auth.supervised_required == 3
    assert auth.written_on == timezone.localdate()
    assert (auth.expires_on - auth.written_on).days in range(180, 185)  # 6 months (S57)
    assert auth.reason.startswith("Stable response")


def test_a_severe_side_effect_restarts_the_count(prescriber, nurse, course, supervised):
    from ketaflow.treatments.models import SideEffect

    sessions = supervised(3)
    SideEffect.objects.create(
        session=sessions[1],
        kind="nausea",
        severity="severe",
        onset_at=sessions[1].signed_at,
        recorded_by=nurse,
    )
    with pytest.raises(ValidationError, match="Session 2 had a severe side effect"):
        services.authorise(prescriber, course, **AUTH)
    supervised(2)  # sessions 4 and 5: 3 clean in a row (3, 4, 5)
    assert services.authorise(prescriber, course, **AUTH).supervised_doses == 3


def test_rescue_medication_is_a_safety_event(prescriber, nurse, course, supervised):
    from ketaflow.treatments.models import RescueMedication

    sessions = supervised(3)
    RescueMedication.objects.create(
        session=sessions[2],
        drug="Midazolam",
        dose="1 mg",
        route="iv",
        given_at=sessions[2].signed_at,
        given_by=prescriber,
    )
    with pytest.raises(ValidationError, match="rescue medication"):
        services.authorise(prescriber, course, **AUTH)


def test_a_discharge_override_is_a_safety_event(prescriber, nurse, course, supervised):
    from ketaflow.treatments.models import DischargeRecord

    sessions = supervised(3)
    DischargeRecord.objects.create(
        session=sessions[0],
        overrides=[{"code": "observation.minimum", "reason": "left early"}],
        overridden_by=prescriber,
        recorded_by=nurse,
    )
    supervised(2)
    with pytest.raises(ValidationError, match="overridden"):
        # session 1's override: 4 clean after it (2,3,4,5) would pass; make it the latest
        DischargeRecord.objects.create(
            session=sessions[2],
            overrides=[{"code": "observation.minimum", "reason": "left early"}],
            overridden_by=prescriber,
            recorded_by=nurse,
        )
        services.authorise(prescriber, course, **AUTH)


def test_the_reason_and_the_warning_are_required(prescriber, course, supervised):
    supervised(3)
    with pytest.raises(ValidationError) as err:
        services.authorise(prescriber, course, **{**AUTH, "reason": "  "})
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.authorise(prescriber, course, **{**AUTH, "warning_acknowledged": False})
    assert "warning_acknowledged" in err.value.message_dict


def test_only_a_prescriber_authorises(nurse, course, supervised):
    supervised(3)
    with pytest.raises(PermissionDenied):
        services.authorise(nurse, course, **AUTH)


def test_the_clinic_may_set_its_own_number(prescriber, course, supervised):
    services.set_settings(prescriber, supervised_doses_required=5, pdmp_interval_days=30)
    supervised(4)
    with pytest.raises(ValidationError, match="5 supervised doses"):
        services.authorise(prescriber, course, **AUTH)
