"""Oral titration with the published numbers: 50 -> 75 -> 100 mg every 3 days (S23).

Hard: above the ceiling per dose or the rolling 7-day ceiling (refused, no override). Soft:
a step larger than the protocol's, sooner than its interval, or while a stop criterion holds.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketaflow.clinical.dosing import HardLimitExceeded
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.protocols import builtin
from ketaflow.clinical.routes import Route
from ketaflow.clinical.titration import (
    Action,
    Severity,
    SupervisedDose,
    TitrationRules,
    check_dose,
    propose_next,
    titrated_dose,
    window_mg,
)

D0 = date(2026, 3, 2)


def rules() -> TitrationRules:
    found = builtin("oral-racemic-titration").titration()
    assert found is not None
    return found


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def given(*doses: tuple[int, float], **signals: object) -> list[SupervisedDose]:
    out = [SupervisedDose(day(n), mg) for n, mg in doses]
    if signals:
        last = out[-1]
        out[-1] = SupervisedDose(last.on, last.mg, **signals)  # type: ignore[arg-type]
    return out


def codes(warnings: tuple[object, ...]) -> list[str]:
    return [w.code for w in warnings]  # type: ignore[attr-defined]


def test_the_oral_protocol_carries_the_published_numbers_with_their_sources() -> None:
    r = rules()
    assert (r.start_mg.value, r.step_mg.value, r.min_days_between_steps.value) == (50, 25, 3)
    assert [s.key for s in r.start_mg.sources] == ["S23"]
    assert r.max_mg_per_dose.value == 150 and r.max_mg_per_dose.needs_local_signoff
    assert r.max_mg_per_7_days.value == 300 and r.max_mg_per_7_days.needs_local_signoff


def test_50_then_75_then_100_every_3_days_needs_no_override() -> None:
    r = rules()
    assert check_dose(r, [], 50, day(0)) == ()
    assert check_dose(r, given((0, 50)), 75, day(3)) == ()
    assert check_dose(r, given((0, 50), (3, 75)), 100, day(6)) == ()


def test_the_proposals_walk_the_published_steps() -> None:
    r = rules()
    first = propose_next(r, [], day(0))
    assert (first.action, first.mg) == (Action.START, 50)
    second = propose_next(r, given((0, 50)), day(3))
    assert (second.action, second.mg) == (Action.STEP_UP, 75)
    third = propose_next(r, given((0, 50), (3, 75)), day(6))
    assert (third.action, third.mg) == (Action.STEP_UP, 100)
    assert "S23" in [s.key for s in third.sources]


def test_a_step_before_the_interval_is_held_with_the_day_it_is_due() -> None:
    p = propose_next(rules(), given((0, 50)), day(2))
    assert p.action is Action.HOLD and p.mg == 50 and p.earliest_step_on == day(3)


def test_a_dose_above_the_ceiling_per_dose_is_refused() -> None:
    with pytest.raises(HardLimitExceeded) as err:
        check_dose(rules(), given((0, 150)), 175, day(7))
    assert err.value.code == "titration.above_max_mg_per_dose"
    assert err.value.needs_local_signoff


def test_a_dose_taking_the_rolling_week_above_its_ceiling_is_refused() -> None:
    history = given((0, 75), (3, 100))
    assert window_mg(history, day(6)) == 175
    with pytest.raises(HardLimitExceeded) as err:
        check_dose(rules(), history, 150, day(6))  # 325 mg in 7 days
    assert err.value.code == "titration.above_max_mg_per_7_days"
    assert check_dose(rules(), history, 125, day(6)) == ()  # 300 mg: at the ceiling


def test_the_rolling_week_forgets_a_dose_seven_days_back() -> None:
    history = given((0, 100), (3, 100), (6, 100))
    assert check_dose(rules(), history, 100, day(7)) == ()  # day 0 has left the window


def test_a_step_larger_than_the_protocols_needs_an_override() -> None:
    assert codes(check_dose(rules(), given((0, 50)), 100, day(3))) == [
        "titration.step_above_protocol_step"
    ]


def test_a_step_sooner_than_the_interval_needs_an_override() -> None:
    assert codes(check_dose(rules(), given((0, 50)), 75, day(2))) == ["titration.step_too_soon"]


def test_a_first_dose_above_the_start_dose_needs_an_override() -> None:
    assert codes(check_dose(rules(), [], 75, day(0))) == ["titration.above_start_dose"]


def test_holding_or_stepping_down_never_needs_an_override() -> None:
    history = given((0, 50), (3, 75))
    assert check_dose(rules(), history, 75, day(4)) == ()
    assert check_dose(rules(), history, 50, day(4)) == ()


@pytest.mark.parametrize(
    ("signals", "action"),
    [
        ({"worst_side_effect": Severity.SEVERE}, Action.STEP_DOWN),
        ({"worst_side_effect": Severity.MODERATE}, Action.HOLD),
        ({"peak_sbp": 182.0}, Action.STEP_DOWN),
        ({"peak_dbp": 112.0}, Action.STEP_DOWN),
        ({"dissociation": 9}, Action.HOLD),
        ({"sedation": 4}, Action.HOLD),
        ({"sedation": 2}, Action.STEP_DOWN),
        ({"misuse_open": True}, Action.STOP),
    ],
)
def test_stop_criteria_stop_the_step_up(signals: dict[str, object], action: Action) -> None:
    history = given((0, 50), (3, 75), **signals)
    proposal = propose_next(rules(), history, day(6))
    assert proposal.action is action
    if action is Action.STEP_DOWN:
        assert proposal.mg == 50
    warnings = codes(check_dose(rules(), history, 100, day(6)))
    assert warnings == ["titration.step_while_stop_criterion"]


def test_a_severe_effect_on_the_start_dose_stops_titration() -> None:
    p = propose_next(rules(), given((0, 50), worst_side_effect=Severity.SEVERE), day(3))
    assert p.action is Action.STOP and p.mg is None


def test_an_open_misuse_indicator_today_stops_titration() -> None:
    p = propose_next(rules(), given((0, 50)), day(3), misuse_open=True)
    assert p.action is Action.STOP
    assert codes(check_dose(rules(), given((0, 50)), 75, day(3), misuse_open=True)) == [
        "titration.step_while_stop_criterion"
    ]


def test_at_the_ceiling_the_proposal_holds() -> None:
    p = propose_next(rules(), given((0, 150)), day(7))
    assert p.action is Action.HOLD and p.mg == 150


def test_a_step_that_would_pass_the_weekly_ceiling_is_not_proposed() -> None:
    p = propose_next(rules(), given((0, 75), (3, 100), (6, 125)), day(9))
    assert p.action is Action.HOLD  # 100 + 125 + 150 = 375 > 300


def test_the_titrated_dose_also_keeps_the_oral_routes_limits() -> None:
    r = rules()
    with pytest.raises(HardLimitExceeded) as err:
        titrated_dose(Route.ORAL, 150, 20, r, given((0, 125)), day(7))  # 7.5 mg/kg
    assert err.value.code == "dose.above_hard_max_mg_per_kg"
    soft = titrated_dose(Route.ORAL, 75, 25, r, given((0, 50)), day(3))  # 3 mg/kg
    assert codes(soft.warnings) == ["dose.above_soft_max_mg_per_kg"]
    assert soft.max_dose_mg == 150


def test_the_sublingual_protocol_starts_at_10_mg_and_caps_at_20() -> None:
    sl = builtin("sublingual-racemic-low-dose").titration()
    assert sl is not None and sl.start_mg.value == 10 and sl.start_mg.sources[0].key == "S51"
    with pytest.raises(HardLimitExceeded):
        check_dose(sl, [], 25, day(0))


def test_a_local_ceiling_below_the_start_dose_is_refused() -> None:
    with pytest.raises(ClinicalInputError):
        builtin("oral-racemic-titration").revise({"max_mg_per_dose": 25})


def test_the_weekly_ceiling_counts_home_doses_with_the_supervised_ones() -> None:
    from ketaflow.clinical.misuse import HomeDose

    r = rules()  # 300 mg per rolling 7 days
    history = given((0, 50), (3, 75))
    home = [HomeDose(day(5), 100.0), HomeDose(day(-1), 500.0)]  # day -1 is outside the week
    assert window_mg(history, day(6), home) == 225
    with pytest.raises(HardLimitExceeded) as err:
        check_dose(r, history, 100, day(6), home=home)
    assert err.value.code == "titration.above_max_mg_per_7_days"
    assert "100 mg of it at home" in err.value.message
    assert check_dose(r, history, 75, day(6), home=home) == ()  # 300 mg exactly
    held = propose_next(r, history, day(6), home=home)
    assert held.action is Action.HOLD and "weekly ceiling" in held.reasons[0]
