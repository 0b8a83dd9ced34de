"""A request for more before the last supply should have run out waits for a prescriber."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketaflow.dispensing import selectors, services
from ketaflow.dispensing.models import RefillStatus
from ketaflow.dispensing.tests.conftest import dispense


def test_an_early_request_is_flagged_and_not_filled(
    clock, prescriber, nurse, second_nurse, authorised, stock, pdmp_checked
):
    first = dispense(nurse, authorised, second_nurse, quantity=10)  # last dose on day 27
    clock(first.dispensed_at + timedelta(days=10))
    request = services.request_refill(nurse, authorised, note="Says some were lost")
    assert request.early and request.status == RefillStatus.WAITING
    assert "should run out" in request.early_reason
    with pytest.raises(ValidationError, match="waiting for a prescriber"):
        dispense(nurse, authorised, second_nurse, quantity=10)
    assert selectors.early_requests_waiting(prescriber) == [request]


def test_dispensing_early_without_a_request_is_refused(
    clock, nurse, second_nurse, authorised, stock, pdmp_checked
):
    first = dispense(nurse, authorised, second_nurse, quantity=10)
    clock(first.dispensed_at + timedelta(days=5))
    with pytest.raises(ValidationError, match="Early"):
        dispense(nurse, authorised, second_nurse, quantity=10)


def test_a_prescriber_decides_with_a_reason_then_it_can_be_filled(
    clock, prescriber, nurse, second_nurse, authorised, stock, pdmp_checked
):
    first = dispense(nurse, authorised, second_nurse, quantity=10)
    clock(first.dispensed_at + timedelta(days=10))
    request = services.request_refill(nurse, authorised)
    with pytest.raises(PermissionDenied):
        services.decide_refill(nurse, request, approve=True, reason="ok")
    with pytest.raises(ValidationError):
        services.decide_refill(prescriber, request, approve=True, reason=" ")
    services.decide_refill(prescriber, request, approve=True, reason="Travelling abroad")
    supply = dispense(nurse, authorised, second_nurse, quantity=10)
    request.refresh_from_db()
    assert request.status == RefillStatus.FILLED and supply.refill_request == request


def test_an_on_time_request_is_approved_as_made(
    clock, nurse, second_nurse, authorised, stock, pdmp_checked
):
    first = dispense(nurse, authorised, second_nurse, quantity=10)
    clock(first.dispensed_at + timedelta(days=27))
    request = services.request_refill(nurse, authorised)
    assert not request.early and request.status == RefillStatus.APPROVED
