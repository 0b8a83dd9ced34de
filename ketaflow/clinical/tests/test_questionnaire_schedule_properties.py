"""Properties of the questionnaire schedule: deterministic, bounded, anchored, consistent."""

from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.questionnaire_schedule import (
    Anchor,
    Completion,
    OccurrenceStatus,
    SchedulePhase,
    ScheduleRule,
    open_now,
    schedule,
)

START = date(2025, 1, 1)

phases = st.sampled_from(list(SchedulePhase))
rules = st.builds(
    lambda instrument, phase, offsets, window, repeat: ScheduleRule(
        instrument, phase, tuple(sorted(offsets)), window_days=window, repeat_every_days=repeat
    ),
    st.sampled_from(["gad7", "phq9", "pcl5"]),
    phases,
    st.sets(st.integers(1, 30), min_size=1, max_size=3),
    st.integers(1, 10),
    st.none() | st.integers(1, 14),
)
anchors = st.lists(
    st.builds(lambda n, p: Anchor(START + timedelta(days=n), p), st.integers(0, 60), phases),
    max_size=6,
)
completions = st.lists(
    st.builds(
        lambda code, n: Completion(code, START + timedelta(days=n)),
        st.sampled_from(["gad7", "phq9", "pcl5"]),
        st.integers(0, 90),
    ),
    max_size=8,
)
days = st.integers(0, 90).map(lambda n: START + timedelta(days=n))


@given(st.lists(rules, max_size=4), anchors, completions, days, st.randoms())
def test_the_answer_does_not_depend_on_input_order(
    rs: list[ScheduleRule],
    ans: list[Anchor],
    done: list[Completion],
    today: date,
    rnd: random.Random,
) -> None:
    first = schedule(rs, ans, done, today=today)
    shuffled = [list(x) for x in (rs, ans, done)]
    for x in shuffled:
        rnd.shuffle(x)
    assert schedule(shuffled[0], shuffled[1], shuffled[2], today=today) == first


@given(st.lists(rules, max_size=4), anchors, completions, days)
def test_every_occurrence_belongs_to_its_session_and_no_later_one(
    rs: list[ScheduleRule], ans: list[Anchor], done: list[Completion], today: date
) -> None:
    session_days = sorted({a.on for a in ans})
    occ = schedule(rs, ans, done, today=today)
    keys = [o.key for o in occ]
    assert len(keys) == len(set(keys))
    for o in occ:
        assert o.anchor_on < o.due_on <= o.closes_on
        assert o.due_on <= today
        later = [s for s in session_days if s > o.anchor_on]
        if later:
            assert o.closes_on < later[0]
        assert not any(o.anchor_on < s <= o.due_on for s in session_days)


@given(st.lists(rules, max_size=4), anchors, completions, days)
def test_the_status_agrees_with_the_day_and_the_completions(
    rs: list[ScheduleRule], ans: list[Anchor], done: list[Completion], today: date
) -> None:
    for o in schedule(rs, ans, done, today=today):
        in_window = [c.on for c in done if c.instrument == o.instrument]
        in_window = [d for d in in_window if o.due_on <= d <= o.closes_on]
        if in_window:
            assert o.status is OccurrenceStatus.DONE and o.completed_on == min(in_window)
        elif today == o.due_on:
            assert o.status is OccurrenceStatus.DUE
        elif today <= o.closes_on:
            assert o.status is OccurrenceStatus.OVERDUE
        else:
            assert o.status is OccurrenceStatus.MISSED


@given(st.lists(rules, max_size=4), anchors, completions, days)
def test_completing_an_open_form_today_closes_it_and_opens_nothing(
    rs: list[ScheduleRule], ans: list[Anchor], done: list[Completion], today: date
) -> None:
    before = open_now(schedule(rs, ans, done, today=today))
    if not before:
        return
    target = before[0]
    after = open_now(schedule(rs, ans, [*done, Completion(target.instrument, today)], today=today))
    assert target.key not in {o.key for o in after}
    assert {o.key for o in after} <= {o.key for o in before}


@given(st.lists(rules, max_size=4), anchors, completions, days, days)
def test_nothing_falls_due_on_or_after_the_end_of_the_course(
    rs: list[ScheduleRule], ans: list[Anchor], done: list[Completion], today: date, end: date
) -> None:
    assert all(o.due_on < end for o in schedule(rs, ans, done, today=today, stop_on=end))


@given(st.lists(rules, max_size=4), anchors, days)
def test_looking_further_ahead_only_adds_occurrences(
    rs: list[ScheduleRule], ans: list[Anchor], today: date
) -> None:
    now = schedule(rs, ans, [], today=today)
    ahead = schedule(rs, ans, [], today=today, until=today + timedelta(days=30))
    assert set(now) <= set(ahead)
    assert all(o.status is OccurrenceStatus.UPCOMING for o in set(ahead) - set(now))
