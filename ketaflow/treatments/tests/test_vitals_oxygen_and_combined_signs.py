"""Supplemental oxygen on the vitals row, and combined signs escalating on every entry path.

Issue #11 item 4: in session RR 8 + SpO2 91 + MOAA/S 4 never escalated. Typed on the page,
sent to the API or recorded by the service, the reading now carries a critical
"respiratory.depression" alert saying to stop the infusion, give airway/oxygen and call
the prescriber; the MOAA/S scored on the scales panel next to the reading counts with it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaflow.clinical.monitoring import Action, AlertLevel
from ketaflow.treatments import derive, services
from ketaflow.treatments.models import VitalsReading
from ketaflow.treatments.tests.conftest import ago, fresh


@pytest.fixture
def infusing(ordered: Any, nurse: Any) -> Any:
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(20)
    )
    return fresh(ordered)


def moaas(nurse: Any, session: Any, score: int) -> None:
    services.record_scale(
        nurse, session, fresh(session).version, instrument="moaas", answers=[score]
    )


def test_the_issues_example_typed_by_the_nurse_is_critical(infusing: Any, nurse: Any) -> None:
    moaas(nurse, infusing, 4)
    reading, alerts = services.record_vitals(
        nurse, infusing, fresh(infusing).version, sbp=118, dbp=76, hr=80, spo2=91, rr=8
    )
    first = alerts[0]
    assert (first.code, first.level) == ("respiratory.depression", AlertLevel.CRITICAL)
    assert first.actions[:3] == (
        Action.STOP_INFUSION,
        Action.AIRWAY_OXYGEN,
        Action.CALL_PRESCRIBER,
    )
    assert "MOAA/S 4" in first.message
    # It is an open critical alert: the session cannot be signed until someone acknowledges it.
    assert ("respiratory.depression", reading.pk) in {
        (a.code, r.pk) for r, a in derive.open_alerts_to_sign(fresh(infusing))
    }


def test_slow_breathing_with_a_moaas_of_4_scored_just_after_still_escalates(
    infusing: Any, nurse: Any
) -> None:
    reading, alerts = services.record_vitals(
        nurse, infusing, fresh(infusing).version, sbp=118, dbp=76, spo2=96, rr=8
    )
    assert "respiratory.depression" not in {a.code for a in alerts}
    moaas(nurse, infusing, 4)
    assert "respiratory.depression" in {a.code for a in derive.alerts_for(fresh(infusing), reading)}


def test_the_page_takes_the_oxygen_and_shows_the_critical_alert(
    client: Any, login: Any, infusing: Any, nurse: Any
) -> None:
    r = login(client, nurse).post(
        reverse("treatments:act", args=[infusing.pk, "vitals"]),
        {
            "version": infusing.version,
            "sbp": "118",
            "dbp": "76",
            "spo2": "97",
            "rr": "8",
            "on_oxygen": "on",
            "oxygen_l_per_min": "2",
        },
        HTTP_HX_REQUEST="true",
    )
    body = r.content.decode()
    assert r.status_code == 200
    assert "O2 2 L/min" in body
    assert "Possible respiratory depression" in body and "alert-red" in body
    row = VitalsReading.objects.filter(session=infusing).latest("pk")
    assert (row.on_oxygen, row.oxygen_l_per_min) == (True, 2.0)


def test_the_api_takes_the_oxygen_and_returns_the_same_alert(
    client: Any, login: Any, infusing: Any, nurse: Any
) -> None:
    r = login(client, nurse).post(
        f"/api/v1/treatments/{infusing.pk}/vitals",
        {"version": infusing.version, "sbp": 118, "dbp": 76, "spo2": 91, "rr": 8},
        content_type="application/json",
    )
    assert r.status_code == 200
    (row,) = [v for v in r.json()["vitals"] if v["rr"] == 8]
    assert row["on_oxygen"] is False and row["oxygen_l_per_min"] is None
    assert row["alerts"][0]["code"] == "respiratory.depression"
    assert row["alerts"][0]["level"] == "critical"
    r = login(client, nurse).post(
        f"/api/v1/treatments/{infusing.pk}/vitals",
        {"version": infusing.version + 1, "spo2": 96, "on_oxygen": True, "oxygen_l_per_min": 3},
        content_type="application/json",
    )
    (row,) = [v for v in r.json()["vitals"] if v["on_oxygen"]]
    assert row["oxygen_l_per_min"] == 3
    assert [a["code"] for a in row["alerts"]] == ["oxygen.in_use"]


def test_a_flow_without_oxygen_is_refused_alike_by_service_page_and_api(
    client: Any, login: Any, infusing: Any, nurse: Any
) -> None:
    count = VitalsReading.objects.count()
    with pytest.raises(ValidationError) as err:
        services.record_vitals(nurse, infusing, infusing.version, spo2=97, oxygen_l_per_min=2)
    assert "oxygen_l_per_min" in err.value.message_dict
    c = login(client, nurse)
    page = c.post(
        reverse("treatments:act", args=[infusing.pk, "vitals"]),
        {"version": infusing.version, "spo2": "97", "oxygen_l_per_min": "2"},
        HTTP_HX_REQUEST="true",
    )
    assert "Oxygen flow: an oxygen flow was given" in page.content.decode()
    api = c.post(
        f"/api/v1/treatments/{infusing.pk}/vitals",
        {"version": infusing.version, "spo2": 97, "oxygen_l_per_min": 2},
        content_type="application/json",
    )
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["body", "oxygen_l_per_min"]
    assert VitalsReading.objects.count() == count


def test_a_baseline_taken_on_oxygen_is_a_caution_on_the_checklist(ready: Any, nurse: Any) -> None:
    from django.utils import timezone

    services.record_vitals(
        nurse, ready, ready.version, sbp=122, dbp=78, spo2=97, rr=14, on_oxygen=True
    )
    item = next(
        i
        for i in derive.checklist_of(fresh(ready), timezone.now()).items
        if i.code == "baseline_vitals"
    )
    assert item.status.value == "caution" and "supplemental oxygen" in item.message
