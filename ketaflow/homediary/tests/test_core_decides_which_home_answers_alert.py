"""The core's diary rules, the misuse windows and the long-term schedule with home doses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.home_diary import DiaryAnswers, HomeSchedule, assess_entry, missed_days
from ketaflow.clinical.long_term_safety import (
    Check,
    CourseHistory,
    CoursePhase,
    DueStatus,
    default_rules,
    due_list,
    exposure,
)
from ketaflow.clinical.misuse import HomeDose, SessionDose, assess_misuse


def codes(answers: DiaryAnswers, authorised: float | None = 50.0) -> list[str]:
    return [c.code for c in assess_entry(answers, authorised_mg=authorised)]


def test_a_calm_entry_at_the_authorised_dose_needs_nothing() -> None:
    assert codes(DiaryAnswers(50, frozenset({"nausea"}), "mild", detached=2, drowsy=2)) == []


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        (DiaryAnswers(50, breathing_trouble=True), "breathing"),
        (DiaryAnswers(50, fainted=True), "fainted"),
        (DiaryAnswers(50, frozenset({"vomiting"}), "severe"), "severe_side_effect"),
        (DiaryAnswers(50, detached=3), "self_check_detached"),
        (DiaryAnswers(50, drowsy=3), "self_check_drowsy"),
        (DiaryAnswers(50, sbp=180, dbp=95), "bp_high"),
        (DiaryAnswers(50, sbp=150, dbp=110), "bp_high"),
        (DiaryAnswers(75, detached=0), "dose_above_authorised"),
    ],
)
def test_each_worrying_answer_is_a_concern(answers: DiaryAnswers, code: str) -> None:
    assert codes(answers) == [code]


def test_bp_just_below_the_act_now_level_and_no_authorisation_are_quiet() -> None:
    assert codes(DiaryAnswers(500, sbp=179, dbp=109), authorised=None) == []


def test_every_concern_names_its_sources() -> None:
    found = assess_entry(DiaryAnswers(75, breathing_trouble=True, drowsy=3), authorised_mg=50)
    assert all(c.sources for c in found)
    self_check = next(c for c in found if c.code == "self_check_drowsy")
    assert self_check.needs_local_signoff  # our own wording, a local alert level
    assert "not a validated scale" in self_check.message


@pytest.mark.parametrize(
    "kw",
    [
        {"dose_mg": -1},
        {"dose_mg": float("nan")},
        {"dose_mg": 50, "detached": 4},
        {"dose_mg": 50, "sbp": 120},
        {"dose_mg": 50, "sbp": 80, "dbp": 90},
        {"dose_mg": 50, "worst_severity": "awful"},
    ],
)
def test_impossible_answers_are_refused(kw: dict[str, object]) -> None:
    with pytest.raises(ClinicalInputError):
        DiaryAnswers(**kw)  # type: ignore[arg-type]


def test_missed_days_are_dose_days_already_over_without_an_entry() -> None:
    schedule = HomeSchedule(date(2026, 11, 1), 2, date(2026, 11, 9), 50)
    assert schedule.dose_days(date(2026, 11, 30)) == [date(2026, 11, d) for d in (1, 3, 5, 7, 9)]
    # The 7th is today (not over yet); the 3rd has an entry.
    assert missed_days([schedule], [date(2026, 11, 3)], date(2026, 11, 7)) == [
        date(2026, 11, 1),
        date(2026, 11, 5),
    ]


def test_misuse_windows_add_home_mg_and_say_which_is_which() -> None:
    today = date(2026, 11, 25)
    report = assess_misuse(
        [SessionDose(today - timedelta(days=10), True, 40.0, None)],
        today,
        home_doses=[
            HomeDose(today - timedelta(days=2), 50),
            HomeDose(today - timedelta(days=60), 50),
        ],
    )
    w30, w90 = report.windows
    assert (w30.mg, w30.supervised_mg, w30.home_mg, w30.home_doses) == (90, 40, 50, 1)
    assert (w90.mg, w90.home_mg, w90.home_doses) == (140, 100, 2)
    assert w30.sessions == 1  # a home dose is not a session
    assert (report.total_mg, report.home_mg, report.home_doses) == (140, 100, 2)
    assert "S34" in {s.key for s in report.sources}


def test_home_doses_make_the_liver_tests_due_and_count_as_the_first_dose() -> None:
    today = date(2026, 11, 25)
    single = CourseHistory(
        started_on=date(2026, 11, 1), phase=CoursePhase.INDUCTION, recurrent=False
    )
    liver = due_list(single, [], default_rules(), today)[0]
    assert liver.check is Check.LIVER and liver.status is DueStatus.NOT_REQUIRED
    home = CourseHistory(
        started_on=date(2026, 11, 1),
        phase=CoursePhase.INDUCTION,
        recurrent=False,
        home_dose_dates=(date(2026, 11, 10), date(2026, 11, 12)),
    )
    liver = due_list(home, [], default_rules(), today)[0]
    assert liver.status is DueStatus.OVERDUE and liver.due_on == date(2026, 11, 10)
    seen = exposure(home, today, 30)
    assert (seen.supervised, seen.home, seen.total) == (0, 2, 2)
