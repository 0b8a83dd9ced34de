"""The REMS-style record is assembled from the session's rows; what is missing is listed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ketaflow.treatments import rems
from ketaflow.treatments.tests.test_rems_world import (
    esketamine_checked_in,
    esketamine_course,
    esketamine_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def esk(
    gates_open: None, nurse: Any, prescriber: Any, patient: Any, protocols: Any, chair: Any
) -> Any:
    return esketamine_checked_in(
        nurse, esketamine_course(prescriber, patient, protocols), chair, prescriber
    )


def test_every_charted_value_reaches_the_record(esk: Any, nurse: Any, prescriber: Any) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk))
    assert not form.draft
    assert (form.given_name, form.family_name, form.mrn) == ("Jane", "Doe", "KF-000001")
    assert form.date_of_birth.isoformat() == "1985-04-12"
    assert form.dose_mg == 56 and form.dose_choice == "56 mg" and form.devices == 2
    assert form.delivered_mg == 56 and form.lot == "ESK-LOT-4711"
    assert form.prescriber == "Paul, MD" and form.monitoring_staff == ("Nina, RN",)
    assert [a.mg for a in form.administrations] == [28, 28]
    assert form.first_device_at is not None and str(form.first_device_at.tzinfo) == "Europe/London"
    assert form.concomitant is not None and ("Benzodiazepines", True) in form.concomitant
    assert form.first_treatment is True


def test_the_three_blood_pressures_are_the_readings_nearest_each_point(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk))
    before, forty, end = form.vitals
    assert before.bp == "122/78" and before.minutes_after_dose == -10
    assert forty.bp == "150/92" and forty.minutes_after_dose == 41
    assert end.bp == "124/79" and end.minutes_after_dose == 135
    assert form.vitals_ok_before_dosing is True and form.vitals_ok_before_end is True


def test_sedation_dissociation_and_breathing_are_answered_with_their_times(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk))
    assert [(s.value, s.minutes_after_dose) for s in form.moaas] == [(3, 45), (5, 90), (5, 135)]
    assert form.sedation.present is True and form.sedation.evidence[0].startswith("MOAA/S 3 at")
    assert form.dissociation.present is True and [s.value for s in form.cadss] == [12, 0]
    assert form.respiratory_depression.present is False and form.pulse_oximetry
    assert form.ready_to_leave_minutes == 90
    assert [e.label for e in form.adverse_events] == ["Nausea"]


def test_monitoring_time_runs_from_the_first_device_to_discharge(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk))
    assert form.total_monitoring_minutes == 140
    assert form.meets_minimum_monitoring is True
    assert form.escort_present is True and form.told_not_to_drive is True


def test_a_missing_lot_is_listed_not_invented(esk: Any, nurse: Any, prescriber: Any) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk, lot=False))
    assert form.lot == ""
    assert "Lot number" in [m.field for m in form.missing]
    rows = dict(r for s in rems.sections(form) for r in s.rows)
    assert rows["Lot number"] == "not recorded"


def test_an_undosed_session_lists_what_it_lacks_and_is_a_draft(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    form = rems.assemble(esketamine_session(nurse, prescriber, esk, dose=False))
    assert form.draft
    missing = {m.field for m in form.missing}
    assert {
        "Time of dose administration",
        "Blood pressure: about 40 minutes after dosing",
        "Blood pressure: before discharge",
        "Sedation (MOAA/S)",
        "Total monitoring time",
        "Escort and driving advice",
        "Patient enrolled in the SPRAVATO REMS",
    } <= missing
    assert form.total_monitoring_minutes is None and form.ready_to_leave_at is None
    assert form.escort_present is None and form.sedation.present is None


def test_an_iv_session_has_no_rems_record(ready: Any) -> None:
    with pytest.raises(rems.NotApplicable, match="esketamine"):
        rems.assemble(ready)


def test_the_nearest_reading_must_fall_inside_the_window() -> None:
    t = datetime(2025, 1, 1, 10, tzinfo=UTC)
    times = [t + timedelta(minutes=m) for m in (0, 30, 55, 70)]
    window = timedelta(minutes=20)
    assert rems.nearest(times, t + timedelta(minutes=40), window) == 1
    assert rems.nearest(times, t + timedelta(minutes=100), window) is None


def test_resolution_is_the_first_normal_observation_after_the_last_abnormal_one() -> None:
    t = datetime(2025, 1, 1, 10, tzinfo=UTC)
    at = [t + timedelta(minutes=m) for m in range(4)]
    assert rems.resolution([]) == (None, None)
    assert rems.resolution([(at[0], False), (at[1], False)]) == (False, at[0])
    assert rems.resolution([(at[0], True), (at[1], False), (at[2], True), (at[3], False)]) == (
        True,
        at[3],
    )
    assert rems.resolution([(at[0], False), (at[1], True)]) == (True, None)


def test_a_device_struck_as_entered_in_error_is_not_on_the_record(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    from ketaflow.treatments import services
    from ketaflow.treatments.models import EventKind

    session = esketamine_session(nurse, prescriber, esk, dose=False)
    # The second device is keyed twice by mistake: struck, then the real one recorded (a third
    # device in force would be past the ordered 56 mg, a hard limit).
    for _ in range(2):
        session.refresh_from_db()
        extra = services.record_administration(
            nurse, session, session.version, kind="bolus", bolus_mg=28
        )
    session.refresh_from_db()
    services.mark_event_entered_in_error(
        nurse, session, session.version, extra.event.pk, "Keyed twice: only two devices were used."
    )
    session.refresh_from_db()
    services.record_administration(nurse, session, session.version, kind="bolus", bolus_mg=28)
    session.refresh_from_db()
    assert session.events.filter(kind=EventKind.BOLUS).count() == 3
    form = rems.assemble(session)
    assert [a.mg for a in form.administrations] == [28, 28]
