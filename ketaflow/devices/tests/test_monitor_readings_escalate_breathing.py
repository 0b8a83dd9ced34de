"""A bedside monitor's reading gets the same breathing-and-sedation escalation as a typed one.

Issue #11 item 4: the HL7 path computes alerts on arrival; it now uses the flowsheet's own
derive function, so RR 8 with SpO2 91 (or with a MOAA/S of 4 scored at the chair) is a
critical "respiratory.depression" alert saying to stop the infusion, airway/oxygen and call
the prescriber, before a nurse has even confirmed the reading.
"""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.devices.models import DeviceReading
from ketaflow.devices.review import confirm_reading
from ketaflow.devices.tests import messages as M
from ketaflow.devices.tests.conftest import ingest
from ketaflow.treatments import derive, services
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def infusing(ordered: Any, nurse: Any, binding: Any) -> Any:
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(20)
    )
    return fresh(ordered)


def test_slow_breathing_and_a_low_spo2_from_the_monitor_are_critical_on_arrival(
    clinic: Any, infusing: Any, nurse: Any
) -> None:
    ingest(clinic, M.ge_b40("RESP-1", spo2=91, rr_airway=8, rr_ecg=8))
    reading = DeviceReading.objects.get()
    first = reading.alerts[0]
    assert (first["code"], first["level"], first["phase"]) == (
        "respiratory.depression",
        "critical",
        "during_dose",
    )
    assert first["actions"][:3] == [
        "Stop the infusion / give no further doses",
        "Airway/oxygen: rouse the patient, open the airway, give oxygen",
        "Call the prescriber",
    ]
    assert "Stop the infusion, airway/oxygen, call the prescriber" in first["message"]
    # Confirmed onto the flowsheet, the reading keeps the same escalation.
    vitals = confirm_reading(nurse, reading.pk, fresh(infusing).version)
    assert derive.alerts_for(fresh(infusing), vitals)[0].code == "respiratory.depression"


def test_a_moaas_scored_at_the_chair_counts_with_the_monitors_slow_breathing(
    clinic: Any, infusing: Any, nurse: Any
) -> None:
    ingest(clinic, M.ge_b40("RESP-2", spo2=97, rr_airway=8, rr_ecg=8))
    assert "respiratory.depression" not in {a["code"] for a in DeviceReading.objects.get().alerts}
    services.record_scale(nurse, infusing, fresh(infusing).version, instrument="moaas", answers=[4])
    ingest(clinic, M.ge_b40("RESP-3", spo2=97, rr_airway=8, rr_ecg=8))
    latest = DeviceReading.objects.latest("pk")
    assert latest.alerts[0]["code"] == "respiratory.depression"
    assert "MOAA/S 4" in latest.alerts[0]["message"]
