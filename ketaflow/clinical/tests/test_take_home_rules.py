"""The core's take-home rules: eligibility, Schedule III limits, early requests, PDMP, counts."""

from __future__ import annotations

from datetime import date

import pytest

from ketaflow.clinical import take_home as th
from ketaflow.clinical.errors import ClinicalInputError

N = th.TAKE_HOME_DEFAULTS.supervised_doses_required
SCHEDULE = th.Schedule(strength_mg=50, units_per_dose=1, dose_interval_days=3, days_per_supply=30)


def test_the_defaults_need_local_signoff_and_cite_their_sources():
    assert N.needs_local_signoff and {"A5", "S34"} <= {s.key for s in N.sources}
    pdmp = th.TAKE_HOME_DEFAULTS.pdmp_interval_days
    assert pdmp.value == 90 and pdmp.needs_local_signoff and pdmp.sources[0].key == "S56"


def test_eligible_only_after_n_clean_doses_in_a_row():
    doses = [th.SupervisedDose(i) for i in range(1, 3)]
    assert not th.take_home_eligibility(doses, N).allowed
    doses.append(th.SupervisedDose(3))
    result = th.take_home_eligibility(doses, N)
    assert result.allowed and result.clean_in_a_row == 3
    assert {"A5", "S34", "S1"} <= {s.key for s in result.sources}


@pytest.mark.parametrize(
    "event",
    [
        "severe_side_effect",
        "rescue_medication",
        "critical_vitals_alert",
        "discharge_overridden",
        "discharge_criteria_failed",
    ],
)
def test_each_safety_event_restarts_the_count(event):
    doses = [th.SupervisedDose(1), th.SupervisedDose(2, **{event: True}), th.SupervisedDose(3)]
    result = th.take_home_eligibility(doses, N)
    assert not result.allowed and result.clean_in_a_row == 1
    assert result.last_event is not None and result.last_event[0] == 2


def test_a_prescription_expires_after_six_months():
    assert th.prescription_expires_on(date(2026, 8, 31)) == date(2027, 2, 27)
    assert th.prescription_expires_on(date(2026, 1, 15)) == date(2026, 7, 14)


def test_at_most_five_refills():
    th.check_authorisation(SCHEDULE, 5)
    with pytest.raises(ClinicalInputError, match="at most 5 refills"):
        th.check_authorisation(SCHEDULE, 6)


def _supply(**kw):
    args = {
        "refills_allowed": 2,
        "fills_before": 0,
        "quantity": 10,
        "today": date(2026, 12, 1),
        "expires_on": date(2027, 5, 31),
        "lot_expires_on": date(2027, 12, 1),
    }
    th.check_supply(SCHEDULE, **{**args, **kw})


def test_supply_limits_are_hard():
    _supply()
    with pytest.raises(ClinicalInputError, match="At most 10 units"):
        _supply(quantity=11)
    with pytest.raises(ClinicalInputError, match="No refills left"):
        _supply(fills_before=3)
    with pytest.raises(ClinicalInputError, match="expired"):
        _supply(today=date(2027, 6, 1))
    with pytest.raises(ClinicalInputError, match="lot has expired"):
        _supply(lot_expires_on=date(2026, 11, 30))


def test_a_request_before_the_supplies_run_out_is_early():
    supplies = [th.Dispensed(date(2026, 12, 1), 10)]  # doses on days 0..27
    early = th.refill_timing(SCHEDULE, supplies, date(2026, 12, 20))
    assert early.early and early.runs_out_on == date(2026, 12, 28)
    assert not th.refill_timing(SCHEDULE, supplies, date(2026, 12, 28)).early
    # An approved early fill is taken after the first, not alongside it.
    two = [*supplies, th.Dispensed(date(2026, 12, 20), 10)]
    assert th.refill_timing(SCHEDULE, two, date(2027, 1, 10)).runs_out_on == date(2027, 1, 27)


def test_pdmp_due_without_a_check_and_after_the_interval():
    interval = th.TAKE_HOME_DEFAULTS.pdmp_interval_days
    assert th.pdmp_status(None, date(2026, 12, 1), interval).due
    assert not th.pdmp_status(date(2026, 12, 1), date(2027, 2, 28), interval).due
    assert th.pdmp_status(date(2026, 12, 1), date(2027, 3, 1), interval).due


def test_a_count_finds_a_missing_unit_and_every_lot_must_be_counted():
    (line,) = th.reconcile({"A": 10}, {"A": 9})
    assert line.difference == -1
    with pytest.raises(ClinicalInputError, match="Count lot A"):
        th.reconcile({"A": 10}, {})
