"""A session's exceptions: early stop, long pause, overrides, alerts, each with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical import session_exceptions as sx
from ketaflow.clinical.administration import Event, EventKind, validate_events
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
RATE = 0.875  # mg/min: 35 mg over 40 min (0.5 mg/kg x 70 kg)
ORDERED = 35.0


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_the_allowed_pause_is_a_clinic_default_needing_local_signoff() -> None:
    assert sx.MAX_PAUSE_MINUTES.value == 10
    assert sx.MAX_PAUSE_MINUTES.needs_local_signoff
    assert {s.key for s in sx.MAX_PAUSE_MINUTES.sources} >= {"S12", "S22"}


def test_a_stop_before_the_ordered_dose_needs_a_reason_naming_delivered_and_ordered() -> None:
    before = validate_events([Event(at(0), EventKind.START, mg_per_min=RATE)])
    needed = sx.reasons_needed(before, Event(at(20), EventKind.STOP), ordered_mg=ORDERED)
    assert len(needed) == 1
    assert "17.5 mg of the 35.0 mg ordered" in needed[0] and "17.5 mg not given" in needed[0]


def test_a_stop_at_the_ordered_dose_needs_no_reason() -> None:
    before = validate_events([Event(at(0), EventKind.START, mg_per_min=RATE)])
    assert sx.reasons_needed(before, Event(at(40), EventKind.STOP), ordered_mg=ORDERED) == ()


def test_resuming_after_a_pause_longer_than_allowed_needs_a_reason() -> None:
    before = validate_events(
        [Event(at(0), EventKind.START, mg_per_min=RATE), Event(at(10), EventKind.PAUSE)]
    )
    assert sx.reasons_needed(before, Event(at(20), EventKind.RESUME), ordered_mg=ORDERED) == ()
    needed = sx.reasons_needed(before, Event(at(25), EventKind.RESUME), ordered_mg=ORDERED)
    assert needed == ("the pause lasted 15.0 min, longer than the 10 min the protocol allows",)


def test_stopping_from_a_long_pause_short_of_the_dose_gives_both_reasons() -> None:
    before = validate_events(
        [Event(at(0), EventKind.START, mg_per_min=RATE), Event(at(10), EventKind.PAUSE)]
    )
    needed = sx.reasons_needed(before, Event(at(30), EventKind.STOP), ordered_mg=ORDERED)
    assert len(needed) == 2


def test_the_clinic_may_allow_a_longer_pause() -> None:
    longer = ClinicDefault(30, sx.MAX_PAUSE_MINUTES.sources, sx.MAX_PAUSE_MINUTES.evidence)
    before = validate_events(
        [Event(at(0), EventKind.START, mg_per_min=RATE), Event(at(10), EventKind.PAUSE)]
    )
    assert (
        sx.reasons_needed(
            before, Event(at(35), EventKind.RESUME), ordered_mg=ORDERED, max_pause=longer
        )
        == ()
    )


def test_the_summary_lists_each_exception_with_its_reason_grouped_for_signing() -> None:
    rec = validate_events(
        [
            Event(at(0), EventKind.START, mg_per_min=RATE),
            Event(at(10), EventKind.PAUSE),
            Event(at(25), EventKind.RESUME),
            Event(at(30), EventKind.STOP),
        ]
    )
    summary = sx.summarise(
        rec,
        ["", "nausea", "settled after ondansetron", "patient asked to stop"],
        at(120),
        ordered_mg=ORDERED,
        order_overrides=[sx.OverrideUsed("dose.above_usual", "tolerated last week", "paul")],
        alerts=[
            sx.AlertSeen(at(12), "bp.sbp_high", "critical", "Systolic 185", "nina", "paused"),
            sx.AlertSeen(at(40), "hr.high", "warn", "HR 125"),
        ],
        discharge_overrides=[sx.OverrideUsed("observation.minimum", "settled, escort", "paul")],
    )
    assert summary.requires_attestation
    kinds = [i.kind for i in summary.deviations]
    assert kinds == [sx.ExceptionKind.EARLY_STOP, sx.ExceptionKind.LONG_PAUSE]
    stop, pause = summary.deviations
    assert "Stopped at 13.1 mg of 35.0 mg ordered (21.9 mg not given)" in stop.message
    assert stop.reason == "patient asked to stop"
    assert "Paused 15.0 min" in pause.message and pause.reason == "settled after ondansetron"
    assert "needs local sign-off" in pause.message
    assert [o.code for o in summary.overrides] == ["dose.above_usual", "observation.minimum"]
    assert [a.reason for a in summary.alerts] == ["paused", ""]
    assert [i.code for i in summary.missing_reasons] == ["hr.high"]


def test_a_pause_still_open_counts_until_now() -> None:
    rec = validate_events(
        [Event(at(0), EventKind.START, mg_per_min=RATE), Event(at(10), EventKind.PAUSE)]
    )
    summary = sx.summarise(rec, ["", ""], at(30), ordered_mg=ORDERED)
    assert [i.code for i in summary.items] == ["pause.longer_than_allowed"]
    assert "(still paused)" in summary.items[0].message


def test_a_session_run_as_ordered_has_nothing_to_attest() -> None:
    rec = validate_events(
        [Event(at(0), EventKind.START, mg_per_min=RATE), Event(at(40), EventKind.STOP)]
    )
    summary = sx.summarise(rec, ["", ""], at(120), ordered_mg=ORDERED)
    assert summary.items == () and not summary.requires_attestation


def test_the_reasons_must_line_up_with_the_events() -> None:
    rec = validate_events([Event(at(0), EventKind.START, mg_per_min=RATE)])
    with pytest.raises(ClinicalInputError, match="one reason per event"):
        sx.summarise(rec, [], at(10), ordered_mg=ORDERED)


def test_a_time_without_a_zone_is_refused() -> None:
    rec = validate_events([])
    with pytest.raises(ClinicalInputError, match="time zone"):
        sx.summarise(rec, [], datetime(2026, 11, 25, 9, 0), ordered_mg=ORDERED)


@given(
    run=st.floats(min_value=0.5, max_value=80.0),
    pause=st.floats(min_value=0.0, max_value=40.0),
)
def test_an_early_stop_or_long_pause_is_listed_exactly_when_a_reason_is_needed(
    run: float, pause: float
) -> None:
    """Whatever needed a reason at the keyboard is what the signing summary lists."""
    events = [
        Event(at(0), EventKind.START, mg_per_min=RATE),
        Event(at(run / 2), EventKind.PAUSE),
        Event(at(run / 2 + pause), EventKind.RESUME),
    ]
    before = validate_events(events)
    stop = Event(at(run + pause), EventKind.STOP)
    resume_needed = sx.reasons_needed(validate_events(events[:2]), events[2], ordered_mg=ORDERED)
    stop_needed = sx.reasons_needed(before, stop, ordered_mg=ORDERED)
    summary = sx.summarise(
        validate_events([*events, stop]), ["", "", "", ""], at(200), ordered_mg=ORDERED
    )
    listed = {i.kind for i in summary.deviations}
    assert (sx.ExceptionKind.LONG_PAUSE in listed) == bool(resume_needed)
    assert (sx.ExceptionKind.EARLY_STOP in listed) == bool(stop_needed)
    assert (sx.ExceptionKind.EARLY_STOP in listed) == (RATE * run < ORDERED - 0.05)
    assert all(i.reason_missing for i in summary.deviations)


def test_the_iv_protocol_carries_the_allowed_pause_and_a_clinic_may_change_it() -> None:
    from ketaflow.clinical.protocols import builtin
    from ketaflow.clinical.protocols.serialise import protocol_from_dict, protocol_to_dict

    iv = builtin("iv-racemic")
    assert iv.max_pause_minutes is not None
    assert iv.max_pause_minutes.value == sx.MAX_PAUSE_MINUTES.value
    assert "max_pause_minutes" in iv.needs_signoff()
    revised = iv.revise(max_pause_minutes=15)
    assert revised.max_pause_minutes is not None and revised.max_pause_minutes.value == 15
    assert protocol_from_dict(protocol_to_dict(revised)) == revised
    older = protocol_to_dict(iv)
    del older["max_pause_minutes"]  # a version saved before the setting existed
    assert protocol_from_dict(older).max_pause_minutes is None
