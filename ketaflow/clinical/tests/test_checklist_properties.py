"""Invariants of the checklist (hypothesis): the start is allowed exactly when nothing blocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.checklist import ChecklistInputs, Status, evaluate
from ketaflow.clinical.monitoring import VitalSigns

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
minutes_ago = st.one_of(st.none(), st.integers(0, 24 * 60))


@given(
    food=minutes_ago,
    drink=minutes_ago,
    solids=st.integers(0, 720),
    liquids=st.integers(0, 240),
    sbp=st.integers(90, 220),
    gap=st.integers(10, 60),
    pregnant=st.booleans(),
    positive=st.one_of(st.none(), st.booleans()),
    sedated=st.booleans(),
    consent=st.booleans(),
    weight=st.one_of(st.none(), st.floats(40, 150)),
)
def test_can_start_exactly_when_no_item_blocks_or_is_missing(
    food: int | None,
    drink: int | None,
    solids: int,
    liquids: int,
    sbp: int,
    gap: int,
    pregnant: bool,
    positive: bool | None,
    sedated: bool,
    consent: bool,
    weight: float | None,
) -> None:
    inputs = ChecklistInputs(
        now=NOW,
        fasting_solids_minutes=solids,
        fasting_clear_liquids_minutes=liquids,
        last_food_at=None if food is None else NOW - timedelta(minutes=food),
        last_clear_liquid_at=None if drink is None else NOW - timedelta(minutes=drink),
        escort_name="A",
        escort_phone="1",
        can_become_pregnant=pregnant,
        pregnancy_test_on=date(2025, 3, 3),
        pregnancy_test_positive=positive,
        today=date(2025, 3, 3),
        medication_changes_reviewed=True,
        taken_today=frozenset({"benzodiazepine"}) if sedated else frozenset(),
        weight_today_kg=weight,
        previous_weight_kg=70.0,
        baseline=VitalSigns(sbp=sbp, dbp=min(sbp - gap, 150)),
        pre_session_questionnaire_done=True,
        alcohol_today=False,
        drugs_today=False,
        intoxication_signs=False,
        consent_ok=consent,
        consent_reasons=() if consent else ("no consent",),
        eligibility_ok=True,
    )
    result = evaluate(inputs)
    stops = [i for i in result.items if i.status in (Status.BLOCKING, Status.MISSING)]
    assert result.can_start is (not stops)
    if sbp > 180:
        assert not result.can_start
    if food is not None and drink is not None and food < solids:
        assert result.item("fasting").status is Status.BLOCKING
    assert all(i.message for i in result.items)
