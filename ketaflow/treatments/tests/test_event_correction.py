"""A mis-keyed administration line is marked entered in error: kept, struck, out of the dose."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ketaflow.audit.models import AccessEvent, Action
from ketaflow.clinical.administration import InfusionState
from ketaflow.treatments import selectors, services
from ketaflow.treatments.models import AdministrationEvent
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db

RATE = 52.5  # mL/h at 1 mg/mL = 0.875 mg/min


def _event(nurse: Any, session: Any, kind: str, minutes_ago: float, **extra: Any) -> Any:
    return services.record_administration(
        nurse, session, fresh(session).version, kind=kind, at=ago(minutes_ago), **extra
    ).event


def _strike(actor: Any, session: Any, event: Any, reason: str = "keyed the wrong rate") -> Any:
    return services.mark_event_entered_in_error(
        actor, session, fresh(session).version, event.pk, reason
    )


def _delivered(actor: Any, session: Any) -> float:
    return selectors.session_view(actor, session.pk, audit=False).delivered_mg


@pytest.fixture
def mis_keyed(nurse: Any, ordered: Any) -> tuple[Any, Any]:
    """Started 30 min ago at 52.5 mL/h; 20 min ago a rate of 92.5 mL/h was keyed by mistake."""
    _event(nurse, ordered, "start", 30, rate_ml_per_h=RATE)
    wrong = _event(nurse, ordered, "rate_change", 20, rate_ml_per_h=92.5)
    return fresh(ordered), wrong


def test_the_delivered_dose_is_recomputed_without_the_struck_line(
    nurse: Any, mis_keyed: tuple[Any, Any]
) -> None:
    session, wrong = mis_keyed
    assert _delivered(nurse, session) == pytest.approx(0.875 * 10 + 92.5 / 60 * 20, abs=0.5)
    result = _strike(nurse, session, wrong)
    assert result.delivered_mg == pytest.approx(0.875 * 30, abs=0.5)
    assert result.state is InfusionState.INFUSING
    view = selectors.session_view(nurse, session.pk, audit=False)
    assert view.delivered_mg == pytest.approx(0.875 * 30, abs=0.5)
    assert [e.kind.value for e in view.record.events] == ["start"]  # the PK input too


def test_the_line_is_kept_with_who_when_and_why_and_audited(
    nurse: Any, prescriber: Any, mis_keyed: tuple[Any, Any]
) -> None:
    session, wrong = mis_keyed
    _strike(prescriber, session, wrong, "pump read 52.5, typed 92.5")
    row = AdministrationEvent.objects.get(pk=wrong.pk)
    assert row.in_error and row.entered_in_error_by == prescriber
    assert row.entered_in_error_reason == "pump read 52.5, typed 92.5"
    assert row.rate_ml_per_h == 92.5 and row.recorded_by == nurse  # the original line unchanged
    assert session.events.count() == 2
    audit = AccessEvent.objects.filter(action=Action.AMEND, object_id=str(wrong.pk)).get()
    assert audit.detail["reason"] == "pump read 52.5, typed 92.5"
    assert audit.detail["delivered_mg_before"] > audit.detail["delivered_mg_after"]


def test_a_remaining_sequence_the_core_would_refuse_is_refused_with_the_reason(
    nurse: Any, ordered: Any
) -> None:
    _event(nurse, ordered, "start", 30, rate_ml_per_h=RATE)
    pause = _event(nurse, ordered, "pause", 20)
    _event(nurse, ordered, "resume", 10, reason="nausea took 10 min to settle")
    version = fresh(ordered).version
    with pytest.raises(ValidationError) as exc:
        _strike(nurse, ordered, pause)
    message = exc.value.message_dict["event_id"][0]
    assert "cannot be struck" in message and "not paused" in message
    assert not AdministrationEvent.objects.get(pk=pause.pk).in_error
    assert fresh(ordered).version == version


def test_striking_the_stop_reopens_the_infusion(nurse: Any, observing: Any) -> None:
    stop = observing.events.get(kind="stop")
    result = _strike(nurse, observing, stop, "stop pressed on the wrong pump")
    assert result.state is InfusionState.INFUSING
    assert fresh(observing).status == "in_progress"


def test_striking_every_line_returns_the_session_to_ready(nurse: Any, ordered: Any) -> None:
    start = _event(nurse, ordered, "start", 5, rate_ml_per_h=RATE)
    result = _strike(nurse, ordered, start, "wrong chair")
    assert result.delivered_mg == 0 and result.state is InfusionState.NOT_STARTED
    assert fresh(ordered).status == "ready"


def test_after_discharge_a_line_that_would_reopen_dosing_is_refused(
    nurse: Any, discharged: Any
) -> None:
    stop = discharged.events.get(kind="stop")
    with pytest.raises(ValidationError) as exc:
        _strike(nurse, discharged, stop)
    assert "discharged" in exc.value.message_dict["event_id"][0]
    assert fresh(discharged).status == "discharged"


def test_a_signed_session_is_locked_so_the_correction_is_an_amendment(
    nurse: Any, prescriber: Any, discharged: Any
) -> None:
    services.sign_session(prescriber, discharged, discharged.version)
    stop = discharged.events.get(kind="stop")
    with pytest.raises(services.SessionLocked) as exc:
        _strike(nurse, discharged, stop)
    assert "amendment" in exc.value.message


def test_a_reason_is_required_and_a_line_is_struck_only_once(
    nurse: Any, mis_keyed: tuple[Any, Any]
) -> None:
    session, wrong = mis_keyed
    with pytest.raises(ValidationError) as exc:
        _strike(nurse, session, wrong, "  ")
    assert "reason" in exc.value.message_dict
    _strike(nurse, session, wrong)
    with pytest.raises(ValidationError) as exc:
        _strike(nurse, session, wrong)
    assert "already" in exc.value.message_dict["event_id"][0]


def test_front_desk_may_not_strike_a_line(front_desk: Any, mis_keyed: tuple[Any, Any]) -> None:
    session, wrong = mis_keyed
    with pytest.raises(PermissionDenied):
        _strike(front_desk, session, wrong)


def test_the_api_strikes_a_line_answers_409_when_stale_and_shows_it(
    client: Any, login: Any, nurse: Any, mis_keyed: tuple[Any, Any]
) -> None:
    session, wrong = mis_keyed
    c = login(client, nurse)
    url = f"/api/v1/treatments/{session.pk}/events/{wrong.pk}/entered-in-error"
    stale = c.post(
        url,
        {"version": session.version - 1, "reason": "typo"},
        content_type="application/json",
    )
    assert stale.status_code == 409 and "reload" in stale.json()["detail"][0]["msg"]
    ok = c.post(
        url, {"version": session.version, "reason": "typo"}, content_type="application/json"
    )
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["delivered_mg"] == pytest.approx(0.875 * 30, abs=0.5)
    struck = next(e for e in body["events"] if e["id"] == wrong.pk)
    assert struck["entered_in_error"]["reason"] == "typo"
    again = c.post(
        url, {"version": body["version"], "reason": "x"}, content_type="application/json"
    )
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "event_id"]


def test_the_session_page_offers_the_button_and_shows_the_line_struck(
    client: Any, login: Any, nurse: Any, mis_keyed: tuple[Any, Any]
) -> None:
    session, wrong = mis_keyed
    c = login(client, nurse)
    page = c.get(reverse("treatments:session", args=[session.pk])).content.decode()
    assert "Mark entered in error" in page and f'value="{wrong.pk}"' in page
    r = c.post(
        reverse("treatments:act", args=[session.pk, "strike_event"]),
        {"version": session.version, "event_id": wrong.pk, "reason": "typed 92.5"},
        follow=True,
    )
    body = r.content.decode()
    assert r.status_code == 200 and "Line marked entered in error; delivered now" in body
    assert "<del>" in body and "entered in error" in body and "typed 92.5" in body
