"""Another clinic's take-home rows are "not found"; its stock and lists never show."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from ketaflow.dispensing import selectors, services
from ketaflow.dispensing.tests.conftest import dispense


def test_another_clinic_sees_nothing(
    outsider, nurse, second_nurse, authorised, stock, pdmp_checked
):
    supply = dispense(nurse, authorised, second_nurse)
    with pytest.raises(Http404):
        selectors.supply_of(outsider, supply.pk)
    with pytest.raises(Http404):
        selectors.authorisation_of(outsider, authorised.pk)
    with pytest.raises(Http404):
        selectors.course_of(outsider, authorised.course_id)
    assert selectors.supplies(outsider) == []
    assert selectors.authorisations(outsider) == []
    assert selectors.stock_overview(outsider).lots == []
    with pytest.raises(PermissionDenied):
        services.request_refill(outsider, authorised)
    with pytest.raises(PermissionDenied):
        services.dispense(
            outsider,
            authorised,
            quantity=10,
            lot="LOT-A1",
            witness=second_nurse,
            storage_acknowledged=True,
            no_driving_acknowledged=True,
        )


def test_front_desk_and_researchers_cannot_read_the_stock(front_desk, researcher):
    for user in (front_desk, researcher):
        with pytest.raises(PermissionDenied):
            selectors.stock_overview(user)
