"""One score per clinic-local day: the series both the course page and the summary assess."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.outcomes import PRE_DOSE_CONTEXTS, SCORE_CONTEXTS, daily_scores

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


def test_the_pre_dose_score_of_a_session_day_is_kept() -> None:
    kept = daily_scores([(D1, "pre_session", 14, "a"), (D1, "follow_up", 9, "b")])
    assert [(s.day, s.value, s.context, s.record, s.of) for s in kept] == [
        (D1, 14, "pre_session", "a", 2)
    ]


def test_of_two_pre_dose_scores_the_later_is_kept() -> None:
    kept = daily_scores([(D1, "baseline", 18, "a"), (D1, "screening", 16, "b")])
    assert [s.record for s in kept] == ["b"]


def test_without_a_pre_dose_score_the_last_one_is_kept() -> None:
    kept = daily_scores([(D1, "follow_up", 9, "a"), (D1, "follow_up", 7, "b")])
    assert [(s.value, s.record) for s in kept] == [(7, "b")]


def test_in_session_scales_do_not_count_unless_asked_for() -> None:
    scored = [(D1, "in_session", 3, "a"), (D2, "follow_up", 8, "b")]
    assert [s.record for s in daily_scores(scored)] == ["b"]
    assert [s.record for s in daily_scores(scored, ("in_session",))] == ["a"]


def test_days_come_out_in_order_one_each() -> None:
    kept = daily_scores([(D2, "follow_up", 8, "b"), (D1, "baseline", 18, "a")])
    assert [s.day for s in kept] == [D1, D2]


def test_pre_dose_contexts_are_counted_contexts() -> None:
    assert set(SCORE_CONTEXTS) > PRE_DOSE_CONTEXTS
    assert "in_session" not in SCORE_CONTEXTS


def summary_before(scored: list[tuple[date, str, int, int]]) -> list[tuple[date, float]]:
    """What the outcome summary (`outcomes.services._daily_scores`) computed itself before."""
    pre_dose = {"baseline", "screening", "pre_session"}
    by_day: dict[date, list[tuple[str, int]]] = {}
    for day, context, total, _pk in scored:
        by_day.setdefault(day, []).append((context, total))
    out = []
    for day in sorted(by_day):
        found = by_day[day]
        pre = [f for f in found if f[0] in pre_dose]
        out.append((day, float((pre or found)[-1][1])))
    return out


scored_lists = st.lists(
    st.tuples(
        st.dates(min_value=D1, max_value=date(2026, 3, 12)),
        st.sampled_from(SCORE_CONTEXTS),
        st.integers(0, 60),
        st.integers(1, 10_000),
    ),
    max_size=30,
)


@given(scored=scored_lists)
def test_it_agrees_with_what_the_summary_computed_before(
    scored: list[tuple[date, str, int, int]],
) -> None:
    kept = daily_scores(scored)
    assert [(s.day, float(s.value)) for s in kept] == summary_before(scored)
    assert sum(s.of for s in kept) == len(scored)
