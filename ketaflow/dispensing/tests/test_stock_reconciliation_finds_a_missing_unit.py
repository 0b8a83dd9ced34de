"""Receipts, supplies and counts: a count short by one is a discrepancy, explained witnessed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketaflow.dispensing import selectors, services
from ketaflow.dispensing.tests.conftest import dispense


def test_a_missing_unit_is_found_and_stays_open_until_explained(
    nurse, second_nurse, prescriber, authorised, stock, pdmp_checked
):
    dispense(nurse, authorised, second_nurse, quantity=10)
    rec = services.reconcile(nurse, counts={"LOT-A1": 89}, witness=second_nurse)
    (line,) = rec.lines.all()
    assert (line.expected, line.counted, line.difference) == (90, 89, -1)
    assert selectors.open_discrepancies(nurse) == [line]
    with pytest.raises(ValidationError, match="someone other than you"):
        services.explain_discrepancy(nurse, line, explanation="Dropped", witness=nurse)
    services.explain_discrepancy(
        nurse, line, explanation="One troche crushed; wasted, witnessed.", witness=prescriber
    )
    assert selectors.open_discrepancies(nurse) == []
    # The book now agrees with the count.
    assert selectors.stock_overview(nurse).lots[0].on_book == 89


def test_a_count_that_agrees_opens_nothing(nurse, second_nurse, stock):
    services.reconcile(nurse, counts={"LOT-A1": 100}, witness=second_nurse)
    assert selectors.open_discrepancies(nurse) == []


def test_every_lot_on_the_book_must_be_counted(nurse, second_nurse, stock):
    with pytest.raises(ValidationError, match="Count lot LOT-A1"):
        services.reconcile(nurse, counts={}, witness=second_nurse)


def test_dispensing_draws_from_the_book_and_cannot_exceed_it(
    nurse, second_nurse, authorised, stock, pdmp_checked
):
    services.reconcile(nurse, counts={"LOT-A1": 5}, witness=second_nurse)
    with pytest.raises(ValidationError, match="Only 5 unit"):
        dispense(nurse, authorised, second_nurse, quantity=10)


def test_a_receipt_is_withdrawn_only_while_all_its_units_are_on_the_book(
    nurse, second_nurse, prescriber, authorised, stock, pdmp_checked
):
    dispense(nurse, authorised, second_nurse, quantity=10)
    with pytest.raises(ValidationError, match="Only 90 unit"):
        services.mark_receipt_entered_in_error(prescriber, stock, "Wrong lot typed")
    stock.refresh_from_db()
    assert stock.status == "active"
