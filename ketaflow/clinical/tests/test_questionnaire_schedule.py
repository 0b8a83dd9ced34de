"""Patient questionnaire schedules: worked examples of the rules anchored to each session."""

from __future__ import annotations

from datetime import date

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Evidence
from ketaflow.clinical.questionnaire_schedule import (
    DEFAULT_RULES,
    Anchor,
    Completion,
    OccurrenceStatus,
    SchedulePhase,
    ScheduleRule,
    check_patient_instrument,
    open_now,
    patient_instruments,
    schedule,
)

IND = SchedulePhase.INDUCTION
MAIN = SchedulePhase.MAINTENANCE
MON = date(2025, 3, 3)


def d(offset: int) -> date:
    return date.fromordinal(MON.toordinal() + offset)


def test_only_free_self_report_forms_may_be_offered_to_patients() -> None:
    assert set(patient_instruments()) == {"gad7", "phq9", "pcl5"}
    for licensed in ("cssrs", "ybocs", "pdss", "hama", "lsas", "cadss"):
        with pytest.raises(ClinicalInputError, match="cannot be offered to patients"):
            check_patient_instrument(licensed)
    assert check_patient_instrument("GAD7") == "gad7"


def test_a_rule_for_a_licensed_scale_is_refused() -> None:
    with pytest.raises(ClinicalInputError):
        ScheduleRule("cssrs", IND, (1,), window_days=3)


@pytest.mark.parametrize(
    ("offsets", "window", "repeat", "field"),
    [
        ((), 3, None, "offsets"),
        ((0,), 3, None, "offsets"),
        ((7, 1), 3, None, "offsets"),
        ((1, 1), 3, None, "offsets"),
        ((1,), 0, None, "window"),
        ((1,), 3, 0, "repeat"),
    ],
)
def test_impossible_rules_name_the_field_at_fault(
    offsets: tuple[int, ...], window: int, repeat: int | None, field: str
) -> None:
    with pytest.raises(ClinicalInputError) as caught:
        ScheduleRule("gad7", IND, offsets, window_days=window, repeat_every_days=repeat)
    assert caught.value.field == field


def test_defaults_ask_gad7_and_phq9_after_each_session_and_need_local_signoff() -> None:
    assert {r.instrument for r in DEFAULT_RULES} == {"gad7", "phq9"}
    assert all(r.needs_local_signoff and r.evidence is Evidence.UNVERIFIED for r in DEFAULT_RULES)
    keys = {s.key for r in DEFAULT_RULES for s in r.sources}
    assert {"S17", "S9", "S40"} <= keys
    induction = [r for r in DEFAULT_RULES if r.phase is IND]
    assert all(r.offsets_days == (1, 7) for r in induction)
    maintenance = [r for r in DEFAULT_RULES if r.phase is MAIN]
    assert all(r.repeat_every_days == 7 for r in maintenance)


def test_the_day_after_a_session_the_forms_are_due() -> None:
    occ = schedule(DEFAULT_RULES, [Anchor(MON, IND)], [], today=d(1))
    assert [(o.instrument, o.due_on, o.status) for o in occ] == [
        ("gad7", d(1), OccurrenceStatus.DUE),
        ("phq9", d(1), OccurrenceStatus.DUE),
    ]
    assert occ[0].key == "gad7:2025-03-04"


def test_a_form_not_done_on_its_day_is_overdue_then_missed_when_the_window_closes() -> None:
    rule = ScheduleRule("gad7", IND, (1,), window_days=3)
    anchors = [Anchor(MON, IND)]
    assert schedule([rule], anchors, [], today=d(2))[0].status is OccurrenceStatus.OVERDUE
    assert schedule([rule], anchors, [], today=d(3))[0].status is OccurrenceStatus.OVERDUE
    assert schedule([rule], anchors, [], today=d(4))[0].status is OccurrenceStatus.MISSED


def test_a_completion_inside_the_window_marks_it_done() -> None:
    rule = ScheduleRule("gad7", IND, (1,), window_days=3)
    occ = schedule([rule], [Anchor(MON, IND)], [Completion("gad7", d(2))], today=d(2))
    assert occ[0].status is OccurrenceStatus.DONE
    assert occ[0].completed_on == d(2)
    assert open_now(occ) == ()


def test_a_completion_before_the_due_day_does_not_count() -> None:
    rule = ScheduleRule("gad7", IND, (1,), window_days=3)
    occ = schedule([rule], [Anchor(MON, IND)], [Completion("gad7", MON)], today=d(1))
    assert occ[0].status is OccurrenceStatus.DUE


def test_the_next_session_supersedes_the_previous_sessions_asks() -> None:
    # Mon-Wed-Fri induction: the 7-day ask after Monday never comes due, and Monday's day-1
    # ask left undone closes the day before Wednesday's session.
    anchors = [Anchor(MON, IND), Anchor(d(2), IND), Anchor(d(4), IND)]
    rule = ScheduleRule("phq9", IND, (1, 7), window_days=3)
    occ = schedule([rule], anchors, [], today=d(11))
    assert [(o.anchor_on, o.due_on) for o in occ] == [
        (MON, d(1)),
        (d(2), d(3)),
        (d(4), d(5)),
        (d(4), d(11)),
    ]
    assert occ[0].closes_on == d(1)
    assert [o.status for o in occ] == [OccurrenceStatus.MISSED] * 3 + [OccurrenceStatus.DUE]


def test_maintenance_repeats_weekly_until_the_next_session() -> None:
    rule = ScheduleRule("gad7", MAIN, (7,), window_days=3, repeat_every_days=7)
    occ = schedule([rule], [Anchor(MON, MAIN)], [], today=d(21))
    assert [o.due_on for o in occ] == [d(7), d(14), d(21)]
    occ = schedule([rule], [Anchor(MON, MAIN), Anchor(d(10), MAIN)], [], today=d(21))
    assert [o.due_on for o in occ] == [d(7), d(17)]


def test_rules_follow_only_sessions_of_their_phase() -> None:
    occ = schedule(DEFAULT_RULES, [Anchor(MON, MAIN)], [], today=d(1))
    assert occ == ()


def test_nothing_falls_due_once_the_course_has_ended() -> None:
    rule = ScheduleRule("gad7", IND, (1, 7), window_days=3)
    occ = schedule([rule], [Anchor(MON, IND)], [], today=d(10), stop_on=d(5))
    assert [o.due_on for o in occ] == [d(1)]


def test_until_lists_what_is_still_to_come() -> None:
    rule = ScheduleRule("gad7", IND, (1, 7), window_days=3)
    occ = schedule([rule], [Anchor(MON, IND)], [], today=MON, until=d(30))
    assert [(o.due_on, o.status) for o in occ] == [
        (d(1), OccurrenceStatus.UPCOMING),
        (d(7), OccurrenceStatus.UPCOMING),
    ]


def test_two_rules_for_one_form_on_one_day_make_one_ask_with_the_longer_window() -> None:
    short = ScheduleRule("gad7", IND, (1,), window_days=2)
    long = ScheduleRule("gad7", IND, (1, 3), window_days=5)
    occ = schedule([short, long], [Anchor(MON, IND)], [], today=d(5))
    assert [(o.due_on, o.closes_on) for o in occ] == [(d(1), d(5)), (d(3), d(7))]


def test_describe_reads_as_a_sentence() -> None:
    rule = ScheduleRule("gad7", MAIN, (7,), window_days=3, repeat_every_days=7)
    assert rule.describe() == (
        "GAD-7 7 day(s) after each maintenance session, then every 7 days; open 3 day(s)"
    )
