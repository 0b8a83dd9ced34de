"""Long-term safety: the due list, lab flags and the LUTS screen, with their sources."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.long_term_safety import (
    Analyte,
    Check,
    CourseHistory,
    CoursePhase,
    DueStatus,
    LabFlag,
    LabValue,
    LastResult,
    default_rules,
    due_list,
    evaluate_lab,
    evaluate_luts,
    flags,
    rules_for,
)

TODAY = date(2026, 6, 1)
RULES = default_rules()


def _item(items: tuple, check: Check):  # type: ignore[no-untyped-def, type-arg]
    return next(i for i in items if i.check is check)


def _history(**kw: object) -> CourseHistory:
    base: dict[str, object] = {
        "started_on": date(2026, 1, 5),
        "phase": CoursePhase.INDUCTION,
        "recurrent": True,
    }
    base.update(kw)
    return CourseHistory(**base)  # type: ignore[arg-type]


def test_a_new_recurrent_course_needs_baseline_liver_tests_before_the_first_dose() -> None:
    history = _history(started_on=TODAY, next_session_on=TODAY + timedelta(days=3))
    liver = _item(due_list(history, [], RULES, TODAY), Check.LIVER)
    assert liver.status is DueStatus.DUE_SOON
    assert liver.due_on == TODAY + timedelta(days=3)
    assert "Baseline" in liver.reason
    assert [s.key for s in liver.sources][:1] == ["S4"]


def test_dosing_without_a_baseline_makes_the_liver_tests_overdue_since_the_first_dose() -> None:
    first = date(2026, 1, 5)
    history = _history(session_dates=(first, first + timedelta(days=2)))
    liver = _item(due_list(history, [], RULES, TODAY), Check.LIVER)
    assert liver.status is DueStatus.OVERDUE
    assert liver.due_on == first


def test_periodic_liver_tests_are_due_one_interval_after_the_last_complete_panel() -> None:
    last = LastResult(Check.LIVER, date(2026, 4, 1))
    liver = _item(due_list(_history(), [last], RULES, TODAY), Check.LIVER)
    assert liver.due_on == date(2026, 4, 1) + timedelta(days=90)
    assert liver.status is DueStatus.SCHEDULED
    assert liver.needs_local_signoff  # the interval is UNVERIFIED


def test_a_single_dose_plan_needs_no_liver_tests() -> None:
    liver = _item(due_list(_history(recurrent=False), [], RULES, TODAY), Check.LIVER)
    assert liver.status is DueStatus.NOT_REQUIRED
    assert "recurrent" in liver.reason


def test_an_ended_course_has_nothing_due() -> None:
    items = due_list(_history(phase=CoursePhase.ENDED), [], RULES, TODAY)
    assert all(i.status is DueStatus.NOT_REQUIRED for i in items)


def test_luts_screen_is_due_at_the_next_maintenance_visit() -> None:
    history = _history(
        phase=CoursePhase.MAINTENANCE,
        session_dates=(date(2026, 5, 1),),
        next_session_on=date(2026, 6, 5),
        next_session_is_maintenance=True,
    )
    luts = _item(due_list(history, [], RULES, TODAY), Check.LUTS)
    assert luts.due_on == date(2026, 6, 5)
    assert luts.status is DueStatus.DUE_SOON
    assert {s.key for s in luts.sources} == {"S4", "S33"}


def test_a_maintenance_visit_without_a_screen_makes_it_overdue() -> None:
    visit = date(2026, 5, 20)
    history = _history(
        phase=CoursePhase.MAINTENANCE, session_dates=(visit,), maintenance_dates=(visit,)
    )
    last = LastResult(Check.LUTS, date(2026, 5, 1))
    luts = _item(due_list(history, [last], RULES, TODAY), Check.LUTS)
    assert luts.status is DueStatus.OVERDUE
    assert luts.due_on == visit


def test_no_luts_screen_outside_maintenance() -> None:
    luts = _item(due_list(_history(), [], RULES, TODAY), Check.LUTS)
    assert luts.status is DueStatus.NOT_REQUIRED


def test_cognition_and_substance_use_reviews_follow_their_intervals() -> None:
    items = due_list(
        _history(),
        [
            LastResult(Check.COGNITION, date(2026, 1, 1)),
            LastResult(Check.SUBSTANCE_USE, date(2026, 1, 1)),
        ],
        RULES,
        TODAY,
    )
    assert _item(items, Check.COGNITION).due_on == date(2026, 1, 1) + timedelta(days=180)
    assert _item(items, Check.SUBSTANCE_USE).due_on == date(2026, 1, 1) + timedelta(days=90)
    assert _item(items, Check.SUBSTANCE_USE).status is DueStatus.OVERDUE


def test_the_latest_result_counts_whatever_the_order_given() -> None:
    results = [
        LastResult(Check.COGNITION, date(2026, 5, 1)),
        LastResult(Check.COGNITION, date(2026, 1, 1)),
    ]
    item = _item(due_list(_history(), results, RULES, TODAY), Check.COGNITION)
    assert item.last_on == date(2026, 5, 1)


def test_a_protocol_may_set_its_own_interval_which_signs_it_off() -> None:
    rules = rules_for({"lft_interval_days": 30})
    assert rules.lft_interval_days.value == 30
    assert not rules.lft_interval_days.needs_local_signoff
    assert "lft_interval_days" not in rules.needs_signoff()
    last = LastResult(Check.LIVER, date(2026, 5, 1))
    assert _item(due_list(_history(), [last], rules, TODAY), Check.LIVER).due_on == date(
        2026, 5, 31
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("nonsense", 3), ("lft_interval_days", 0), ("lft_interval_days", 1.5), ("lft_baseline", 1)],
)
def test_impossible_local_settings_are_refused(key: str, value: object) -> None:
    with pytest.raises(ClinicalInputError):
        rules_for({key: value})


def test_defaults_that_the_reference_could_not_verify_need_local_signoff() -> None:
    assert "lft_interval_days" in RULES.needs_signoff()
    assert "alt_ast_marked_x_uln" in RULES.needs_signoff()
    assert "lft_baseline" not in RULES.needs_signoff()  # the label says so (S4)


# ---------------------------------------------------------------------------- labs


def test_alt_above_three_times_the_upper_limit_is_marked() -> None:
    finding = evaluate_lab(LabValue(Analyte.ALT, 130, "U/L", 7, 40), RULES)
    assert finding.flag is LabFlag.MARKED
    assert finding.times_uln == pytest.approx(3.25)
    assert finding.needs_local_signoff


def test_alt_just_above_the_range_is_high_not_marked() -> None:
    assert evaluate_lab(LabValue(Analyte.ALT, 41, "U/L", 7, 40), RULES).flag is LabFlag.HIGH


def test_values_in_range_are_normal_and_low_values_are_low() -> None:
    assert evaluate_lab(LabValue(Analyte.GGT, 30, "U/L", 8, 61), RULES).flag is LabFlag.NORMAL
    assert evaluate_lab(LabValue(Analyte.ALP, 20, "U/L", 40, 129), RULES).flag is LabFlag.LOW


def test_alp_is_marked_at_twice_the_upper_limit() -> None:
    assert evaluate_lab(LabValue(Analyte.ALP, 258, "U/L", 40, 129), RULES).flag is LabFlag.MARKED


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "lower", "upper"),
    [
        (Analyte.ALT, 20, "mg/dL", 7, 40),
        (Analyte.ALT, -1, "U/L", 7, 40),
        (Analyte.ALT, 20, "U/L", 50, 40),
        (Analyte.ALT, float("nan"), "U/L", 7, 40),
        (Analyte.BILIRUBIN, 20, "U/L", 0, 21),
    ],
)
def test_impossible_lab_values_are_refused(
    analyte: Analyte, value: float, unit: str, lower: float, upper: float
) -> None:
    with pytest.raises(ClinicalInputError):
        LabValue(analyte, value, unit, lower, upper)


def test_bilirubin_is_optional_and_the_label_panel_includes_alp_and_ggt() -> None:
    from ketaflow.clinical.long_term_safety import REQUIRED_ANALYTES

    assert set(REQUIRED_ANALYTES) == {Analyte.ALT, Analyte.AST, Analyte.ALP, Analyte.GGT}


# ---------------------------------------------------------------------------- LUTS


def _answers(**yes: bool) -> dict[str, bool]:
    from ketaflow.clinical.long_term_safety import LUTS_KEYS

    return {k: yes.get(k, False) for k in LUTS_KEYS}


def test_any_urinary_symptom_makes_the_screen_positive_with_stop_and_refer_advice() -> None:
    finding = evaluate_luts(_answers(haematuria=True), RULES)
    assert finding.positive
    assert finding.symptoms == ("haematuria",)
    assert "stopping" in finding.advice and "urology" in finding.advice
    assert {s.key for s in finding.sources} == {"S4", "S33"}


def test_no_symptoms_is_a_negative_screen() -> None:
    assert not evaluate_luts(_answers(), RULES).positive


def test_an_incomplete_screen_is_refused() -> None:
    with pytest.raises(ClinicalInputError):
        evaluate_luts({"frequency": True}, RULES)


def test_abnormal_latest_results_become_chart_flags() -> None:
    found = flags(
        [
            LastResult(Check.LUTS, date(2026, 5, 1), abnormal=True),
            LastResult(Check.LIVER, date(2026, 4, 1), abnormal=True),
            LastResult(Check.LIVER, date(2026, 5, 1), abnormal=False),
        ],
        RULES,
    )
    assert [f.check for f in found] == [Check.LUTS]
    assert "urology" in found[0].message
