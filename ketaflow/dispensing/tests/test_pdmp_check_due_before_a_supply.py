"""A PDMP check overdue refuses a supply unless a prescriber overrides with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketaflow.dispensing import selectors, services
from ketaflow.dispensing.tests.conftest import dispense


def test_no_check_recorded_refuses_the_supply(nurse, second_nurse, authorised, stock):
    with pytest.raises(ValidationError, match="PDMP check due"):
        dispense(nurse, authorised, second_nurse)


def test_a_nurse_cannot_override_it(nurse, second_nurse, authorised, stock):
    with pytest.raises(PermissionDenied):
        dispense(nurse, authorised, second_nurse, pdmp_override_reason="Portal down")


def test_a_prescriber_overrides_with_a_reason_kept_on_the_supply(
    prescriber, second_nurse, authorised, stock
):
    supply = dispense(prescriber, authorised, second_nurse, pdmp_override_reason="Portal down")
    assert supply.pdmp_override_reason == "Portal down"


def test_a_check_falls_due_after_the_interval_and_shows_on_the_list(
    clock, nurse, second_nurse, authorised, stock, pdmp_checked
):
    assert selectors.pdmp_checks_due(nurse) == []
    clock(pdmp_checked.recorded_at + timedelta(days=91))
    (due,) = selectors.pdmp_checks_due(nurse)
    assert due.authorisation == authorised
    with pytest.raises(ValidationError, match="PDMP check due"):
        dispense(nurse, authorised, second_nurse)


def test_a_check_marked_entered_in_error_no_longer_counts(
    nurse, second_nurse, authorised, stock, pdmp_checked
):
    services.mark_pdmp_check_entered_in_error(nurse, pdmp_checked, "Another patient's report")
    with pytest.raises(ValidationError, match="PDMP check due"):
        dispense(nurse, authorised, second_nurse)
    pdmp_checked.refresh_from_db()
    assert pdmp_checked.history.first().history_change_reason == "Another patient's report"
