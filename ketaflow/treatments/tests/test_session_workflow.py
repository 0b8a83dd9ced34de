"""From check-in to a signed session, through the services (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.courses.models import AppointmentStatus
from ketaflow.treatments import derive, services
from ketaflow.treatments.models import SessionStatus
from ketaflow.treatments.selectors import build_view
from ketaflow.treatments.tests.conftest import ago, fresh, make_discharge_ready

pytestmark = pytest.mark.django_db


def test_check_in_opens_a_session_and_checks_the_appointment_in(checked_in: Any) -> None:
    assert checked_in.status == SessionStatus.CHECKED_IN
    assert checked_in.appointment.status == AppointmentStatus.CHECKED_IN
    assert checked_in.route == "iv" and checked_in.session_number == 1


def test_a_complete_checklist_makes_the_session_ready(ready: Any) -> None:
    assert ready.status == SessionStatus.READY


def test_the_delivered_dose_is_computed_from_the_events(observing: Any) -> None:
    from django.utils import timezone

    view = build_view(observing, timezone.now())
    assert view.delivered_mg == pytest.approx(35.0, abs=0.01)
    assert view.infusing_minutes == pytest.approx(40.0, abs=0.01)
    assert observing.status == SessionStatus.OBSERVING
    assert observing.appointment.status == AppointmentStatus.IN_SESSION
    assert view.flags == ()


def test_the_whole_session_ends_signed_with_the_next_session_proposed(
    discharged: Any, prescriber: Any
) -> None:
    assert discharged.status == SessionStatus.DISCHARGED
    result = services.sign_session(prescriber, discharged, discharged.version)
    session = fresh(result.session)
    assert session.status == SessionStatus.SIGNED and session.signed_by == prescriber
    assert session.appointment.status == AppointmentStatus.COMPLETED
    assert result.next_step is not None


def test_a_discharged_session_counts_as_given_only_once_signed_everywhere_alike(
    discharged: Any, prescriber: Any, nurse: Any
) -> None:
    """The follow-up, the series decision and the outcome summary share `SESSION_GIVEN`.

    The appointment may be marked completed from the schedule before the prescriber signs;
    the session is not given (for any of them) until the record is signed.
    """
    from django.core.exceptions import ValidationError

    from ketaflow.courses.derive.followup import session_dates
    from ketaflow.courses.services import (
        record_series_decision,
        sessions_given,
        set_appointment_status,
    )
    from ketaflow.outcomes.services import patient_sessions

    course = discharged.course
    set_appointment_status(nurse, discharged.appointment, AppointmentStatus.COMPLETED)
    assert session_dates(course)[0] == () and sessions_given(course) == []
    assert patient_sessions(course.patient_id) == {}
    with pytest.raises(ValidationError, match="No session has been given yet"):
        record_series_decision(prescriber, course)
    services.sign_session(prescriber, discharged, discharged.version)
    assert len(session_dates(course)[0]) == 1 and len(sessions_given(course)) == 1
    assert [s.pk for s in patient_sessions(course.patient_id)[course.pk]] == [discharged.pk]


def test_after_signing_the_prescriber_continues_the_series_from_the_follow_up(
    discharged: Any, prescriber: Any, client: Any, login: Any
) -> None:
    from ketaflow.courses.models import SeriesDecision

    services.sign_session(prescriber, discharged, discharged.version)
    login(client, prescriber)
    page = client.get(f"/treatments/{discharged.pk}/").content.decode()
    link = page.split('id="follow-up-link"')[1].split("</p>")[0]
    assert f'href="/courses/{discharged.course_id}/#next-step"' in link
    course_page = client.get(f"/courses/{discharged.course_id}/").content.decode()
    assert f'name="after_session_id" value="{discharged.appointment_id}"' in course_page
    response = client.post(
        f"/courses/{discharged.course_id}/decisions/",
        {"after_session_id": discharged.appointment_id, "note": "As planned"},
    )
    assert response.status_code == 302
    decision = SeriesDecision.objects.get()
    assert decision.after_session_id == discharged.appointment_id
    assert decision.after_session.treatment_session == discharged
    assert decision.by == prescriber and decision.snapshot["sessions_given"] == 1


def test_a_running_too_fast_infusion_is_flagged(ordered: Any, nurse: Any) -> None:
    services.record_administration(
        nurse, ordered, ordered.version, kind="start", rate_ml_per_h=52.5, at=ago(60)
    )
    result = services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="rate_change", rate_ml_per_h=90, at=ago(30)
    )
    assert "rate.above_ordered" in {f.code for f in result.flags}


def test_discharge_lists_every_blocking_reason_until_recorded(observing: Any, nurse: Any) -> None:
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    readiness = derive.readiness(observing, timezone.now())
    assert readiness is not None and not readiness.ready
    codes = {r.code for r in readiness.blocking}
    assert {"vitals.not_recorded", "sedation.not_recorded", "escort.absent"} <= codes
    with pytest.raises(ValidationError):
        services.record_discharge(nurse, observing, observing.version, discharge=True)
    assert fresh(observing).status == SessionStatus.OBSERVING


def test_a_prescriber_may_override_a_soft_discharge_reason_with_a_reason(
    observing: Any, prescriber: Any, nurse: Any
) -> None:
    session = make_discharge_ready(nurse, observing)
    _, readiness = services.record_discharge(
        prescriber,
        session,
        session.version,
        aldrete_score=10,
        dissociation_resolved=True,
        escort_present=False,
        told_not_to_drive=True,
        overrides={"escort.absent": "Partner waiting in the car park outside."},
        discharge=True,
    )
    assert readiness.ready and [o.reason.code for o in readiness.overridden] == ["escort.absent"]
    assert fresh(session).status == SessionStatus.DISCHARGED


def test_side_effects_rescue_notes_and_the_cs_log_are_recorded(
    observing: Any, nurse: Any, prescriber: Any
) -> None:
    effect = services.record_side_effect(
        nurse, observing, observing.version, kind="nausea", severity="mild", onset_at=ago(80)
    )
    services.resolve_side_effect(nurse, observing, fresh(observing).version, effect.pk)
    rescue = services.record_rescue(
        nurse, observing, fresh(observing).version, drug="ondansetron", dose="4 mg", route="IV"
    )
    services.acknowledge_rescue(prescriber, observing, fresh(observing).version, rescue.pk)
    entry = services.record_cs_log(
        nurse,
        observing,
        fresh(observing).version,
        lot="KX123",
        drawn_mg=50,
        wasted_mg=15,
        witness=prescriber,
    )
    assert entry.given_mg == pytest.approx(35.0, abs=0.01)
    services.add_note(nurse, observing, fresh(observing).version, "Settled, chatting.")
    assert fresh(effect).resolved_at is not None


def test_an_alert_is_acknowledged_by_whom_and_when(ordered: Any, nurse: Any) -> None:
    services.record_administration(
        nurse, ordered, ordered.version, kind="start", rate_ml_per_h=52.5, at=ago(30)
    )
    reading, alerts = services.record_vitals(
        nurse, ordered, fresh(ordered).version, sbp=185, dbp=95, hr=80, spo2=97, rr=14
    )
    assert "session.sbp.high" in {a.code for a in alerts}
    ack = services.acknowledge_alert(
        nurse, ordered, fresh(ordered).version, reading.pk, "session.sbp.high", "Paused, called Dr"
    )
    assert ack.by == nurse
    view = build_view(fresh(ordered), reading.taken_at)
    assert all(a.code != "session.sbp.high" for _, a in view.open_alerts)
