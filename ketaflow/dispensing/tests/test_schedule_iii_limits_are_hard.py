"""Schedule III (S57): at most 5 refills, expiry after 6 months; quantity within the schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ketaflow.dispensing import services
from ketaflow.dispensing.tests.conftest import AUTH, dispense


def test_more_than_five_refills_is_refused(prescriber, course, supervised):
    supervised(3)
    with pytest.raises(ValidationError) as err:
        services.authorise(prescriber, course, **{**AUTH, "refills_allowed": 6})
    assert "at most 5 refills" in str(err.value.message_dict["refills_allowed"])


def test_no_fill_beyond_the_refills_allowed(
    clock, prescriber, nurse, second_nurse, course, supervised, stock, pdmp_checked
):
    supervised(3)
    auth = services.authorise(prescriber, course, **{**AUTH, "refills_allowed": 1})
    first = dispense(nurse, auth, second_nurse, quantity=10)  # 10 doses, 30 days
    clock(first.dispensed_at + timedelta(days=28))
    second = dispense(nurse, auth, second_nurse, quantity=10)
    assert second.fill_number == 1
    clock(second.dispensed_at + timedelta(days=30))
    with pytest.raises(ValidationError, match="No refills left"):
        dispense(nurse, auth, second_nurse, quantity=10)


def test_no_fill_after_the_prescription_expired(
    clock, prescriber, nurse, second_nurse, authorised, stock, pdmp_checked
):
    from datetime import datetime, time

    from django.utils import timezone

    day_after = authorised.expires_on + timedelta(days=1)
    clock(timezone.make_aware(datetime.combine(day_after, time(12))))
    services.record_pdmp_check(
        nurse, authorised.patient, checked_on=day_after, outcome="no_concern"
    )
    with pytest.raises(ValidationError, match="expired"):
        dispense(nurse, authorised, second_nurse)


def test_a_supply_cannot_exceed_the_authorised_days(
    nurse, second_nurse, authorised, stock, pdmp_checked
):
    # 30 days at 1 troche every 3 days = 10 troches at most
    with pytest.raises(ValidationError, match="At most 10 units"):
        dispense(nurse, authorised, second_nurse, quantity=11)
