"""Bad score series are input errors that say what to fix."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.outcomes import assess
from ketaflow.clinical.tests.test_outcomes_support import HAMA, day, mwf


def _error(scores: Any, sessions: Any = None) -> ClinicalInputError:
    with pytest.raises(ClinicalInputError) as err:
        assess(scores, HAMA, mwf() if sessions is None else sessions)
    return err.value


def test_scores_out_of_date_order_are_rejected() -> None:
    err = _error([(day(0), 30), (day(3), 20), (day(1), 25)])
    assert err.field == "scores[2]"
    assert "sort by date" in err.message


def test_two_scores_on_the_same_date_are_rejected() -> None:
    err = _error([(day(0), 30), (day(1), 20), (day(1), 25)])
    assert err.field == "scores[2]"
    assert "keep one" in err.message


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf")])
def test_a_negative_or_non_finite_score_is_rejected(bad: float) -> None:
    assert _error([(day(0), 30), (day(1), bad)]).field == "scores[1]"


@pytest.mark.parametrize("bad", [True, "12", None])
def test_a_score_that_is_not_a_number_is_rejected(bad: object) -> None:
    assert _error([(day(0), bad)]).field == "scores[0]"


def test_a_score_that_is_not_a_pair_is_rejected() -> None:
    assert _error([(day(0), 30, 1)]).field == "scores[0]"
    assert _error([5]).field == "scores[0]"


def test_a_when_that_is_not_a_date_is_rejected() -> None:
    assert _error([("2025-01-06", 30)]).field == "scores[0]"


def test_no_scores_is_rejected() -> None:
    assert _error([]).field == "scores"


def test_no_sessions_is_rejected() -> None:
    assert _error([(day(0), 30)], []).field == "sessions"


def test_no_score_before_the_first_session_means_no_baseline() -> None:
    err = _error([(day(1), 30), (day(3), 20)])
    assert err.field == "scores"
    assert "baseline" in err.message


def test_sessions_out_of_order_or_twice_on_a_date_are_rejected() -> None:
    assert _error([(day(0), 30)], [day(2), day(0)]).field == "sessions[1]"
    assert _error([(day(0), 30)], [day(0), day(0)]).field == "sessions[1]"


def test_dates_and_datetimes_cannot_be_mixed() -> None:
    err = _error([(day(0), 30)], [datetime(2025, 1, 6, 9)])
    assert "one kind" in err.message


def test_naive_and_aware_datetimes_cannot_be_mixed() -> None:
    scores = [(datetime(2025, 1, 6, 8), 30)]
    assert "one kind" in _error(scores, [datetime(2025, 1, 6, 9, tzinfo=UTC)]).message


def test_aware_datetimes_are_accepted() -> None:
    scores = [(datetime(2025, 1, 6, 8, tzinfo=UTC), 30), (datetime(2025, 1, 7, tzinfo=UTC), 10)]
    report = assess(scores, HAMA, [datetime(2025, 1, 6, 9, tzinfo=UTC)])
    assert report.first_response is not None
