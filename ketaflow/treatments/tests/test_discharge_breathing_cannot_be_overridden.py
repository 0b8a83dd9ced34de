"""An IV patient with SpO2 88, RR 8 and MOAA/S 3 (or still on oxygen) cannot be discharged.

Issue #11 item 4: on IV/SC/IM/oral these were soft, and a one-line override made the
patient "ready". Now the service, the page and the API all refuse, with or without one.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaflow.treatments import services
from ketaflow.treatments.models import SessionStatus
from ketaflow.treatments.tests.conftest import ago, fresh, recovery_post

OVERRIDES = {
    "vitals.spo2_low": "Patient feels fine, wants to go.",
    "vitals.rr_out_of_range": "Slow breather at baseline.",
    "sedation.unresolved": "Drowsy on usual meds.",
}


def unsafe(nurse: Any, session: Any, **vitals: Any) -> Any:
    """Everything else settled; vitals and MOAA/S as given (default: the issue's example)."""
    moaas = vitals.pop("moaas", 3)
    values = {"sbp": 124, "dbp": 80, "hr": 72, "spo2": 88, "rr": 8} | vitals
    services.record_vitals(nurse, session, fresh(session).version, taken_at=ago(2), **values)
    services.record_scale(
        nurse,
        session,
        fresh(session).version,
        instrument="moaas",
        answers=[moaas],
        administered_at=ago(2),
    )
    services.record_discharge(
        nurse,
        session,
        fresh(session).version,
        aldrete_score=10,
        dissociation_resolved=True,
        escort_present=True,
        told_not_to_drive=True,
    )
    return fresh(session)


def test_the_service_lists_the_three_as_hard_reasons(observing: Any, nurse: Any) -> None:
    session = unsafe(nurse, observing)
    _, result = services.record_discharge(nurse, session, session.version)
    hard = {r.code for r in result.blocking if not r.overridable}
    assert hard == set(OVERRIDES)
    assert not result.ready


def test_a_prescribers_override_is_refused_and_nothing_is_recorded(
    observing: Any, nurse: Any, prescriber: Any
) -> None:
    session = unsafe(nurse, observing)
    before = session.discharges.count()
    for code, reason in OVERRIDES.items():
        with pytest.raises(ValidationError) as err:
            services.record_discharge(
                prescriber, fresh(session), fresh(session).version, overrides={code: reason}
            )
        assert "cannot be overridden" in str(err.value)
    with pytest.raises(ValidationError):
        services.record_discharge(
            prescriber, fresh(session), fresh(session).version, overrides=OVERRIDES, discharge=True
        )
    assert fresh(session).discharges.count() == before
    assert fresh(session).status == SessionStatus.OBSERVING


def test_discharging_without_an_override_is_refused_too(observing: Any, nurse: Any) -> None:
    session = unsafe(nurse, observing)
    with pytest.raises(ValidationError, match="Not ready to leave"):
        services.record_discharge(nurse, session, session.version, discharge=True)


def test_a_patient_still_on_oxygen_cannot_leave_though_the_spo2_is_99(
    observing: Any, nurse: Any, prescriber: Any
) -> None:
    session = unsafe(nurse, observing, spo2=99, rr=14, moaas=5, on_oxygen=True, oxygen_l_per_min=2)
    _, result = services.record_discharge(nurse, session, session.version)
    assert [(r.code, r.overridable) for r in result.blocking] == [("vitals.on_oxygen", False)]
    with pytest.raises(ValidationError, match="cannot be overridden"):
        services.record_discharge(
            prescriber,
            fresh(session),
            fresh(session).version,
            overrides={"vitals.on_oxygen": "Home oxygen user"},
        )
    # Off oxygen, on room air: ready.
    services.record_vitals(
        nurse, session, fresh(session).version, sbp=124, dbp=80, hr=72, spo2=97, rr=14
    )
    services.record_discharge(nurse, fresh(session), fresh(session).version, discharge=True)
    assert fresh(session).status == SessionStatus.DISCHARGED


def test_the_page_refuses_the_override_and_shows_the_reasons_as_not_overridable(
    client: Any, login: Any, observing: Any, nurse: Any, prescriber: Any
) -> None:
    session = unsafe(nurse, observing)
    c = login(client, prescriber)
    page = c.get(reverse("treatments:session", args=[session.pk])).content.decode()
    assert "SpO2 88 % is below 92 %" in page
    assert "awaiting local sign-off" in page
    assert 'name="override:vitals.spo2_low"' not in page
    assert 'name="override:sedation.unresolved"' not in page
    data = {"version": session.version, "discharge": "on", **recovery_post()}
    data |= {f"override:{code}": reason for code, reason in OVERRIDES.items()}
    r = c.post(reverse("treatments:act", args=[session.pk, "discharge"]), data, follow=True)
    assert "cannot be overridden" in r.content.decode()
    assert fresh(session).status == SessionStatus.OBSERVING


def test_the_api_refuses_what_the_page_refuses(
    client: Any, login: Any, observing: Any, nurse: Any, prescriber: Any
) -> None:
    session = unsafe(nurse, observing)
    c = login(client, prescriber)
    detail = c.get(f"/api/v1/treatments/{session.pk}").json()["discharge"]
    assert not detail["ready"]
    assert {b["code"]: b["overridable"] for b in detail["blocking"]} == dict.fromkeys(
        OVERRIDES, False
    )
    assert {b["code"] for b in detail["blocking"] if b["needs_local_signoff"]} == {
        "vitals.spo2_low",
        "vitals.rr_out_of_range",
    }
    r = c.post(
        f"/api/v1/treatments/{session.pk}/discharge",
        {"version": session.version, "overrides": OVERRIDES, "discharge": True},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert "cannot be overridden" in r.content.decode()
    assert fresh(session).status == SessionStatus.OBSERVING
