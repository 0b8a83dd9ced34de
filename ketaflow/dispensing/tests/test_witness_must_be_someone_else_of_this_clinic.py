"""Every controlled-substance entry is witnessed by another nurse or prescriber of the clinic."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketaflow.dispensing import services
from ketaflow.dispensing.models import Supply
from ketaflow.dispensing.tests.conftest import dispense


def test_the_dispenser_cannot_witness_themself(nurse, authorised, stock, pdmp_checked):
    with pytest.raises(ValidationError, match="someone other than you"):
        dispense(nurse, authorised, nurse)
    assert not Supply.objects.exists()


@pytest.mark.parametrize("who", ["front_desk", "clinic_admin", "outsider"])
def test_a_witness_who_may_not_chart_or_is_elsewhere_is_refused(
    personas, nurse, authorised, stock, pdmp_checked, who
):
    with pytest.raises(ValidationError, match="nurse or prescriber of this clinic"):
        dispense(nurse, authorised, personas[who])


def test_a_receipt_needs_a_witness_too(nurse):
    with pytest.raises(ValidationError, match="someone other than you"):
        services.receive_stock(
            nurse,
            product="Ketamine",
            dosage_form="troche",
            strength_mg=50,
            lot="X",
            expires_on=__import__("datetime").date(2027, 1, 1),
            quantity=5,
            witness=nurse,
        )


def test_the_supply_records_who_dispensed_witnessed_and_the_acknowledgement(
    nurse, second_nurse, authorised, stock, pdmp_checked
):
    supply = dispense(nurse, authorised, second_nurse)
    assert supply.dispensed_by == nurse and supply.witnessed_by == second_nurse
    assert supply.storage_acknowledged and supply.no_driving_acknowledged
    assert supply.acknowledgement_version
    assert (supply.lot, supply.strength_mg, supply.quantity) == ("LOT-A1", 50.0, 10)


def test_without_the_patients_acknowledgement_nothing_is_dispensed(
    nurse, second_nurse, authorised, stock, pdmp_checked
):
    with pytest.raises(ValidationError, match="acknowledge"):
        services.dispense(
            nurse,
            authorised,
            quantity=10,
            lot="LOT-A1",
            witness=second_nurse,
            storage_acknowledged=True,
            no_driving_acknowledged=False,
        )
