"""A session is not signed while a warn or critical vitals alert is unacknowledged."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaflow.treatments import derive, services
from ketaflow.treatments.models import AlertAck, VitalsReading
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def discharged_after_a_bp_alert(ordered: Any, nurse: Any) -> Any:
    from ketaflow.treatments.tests.conftest import make_discharge_ready

    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(110)
    )
    services.record_vitals(
        nurse,
        ordered,
        fresh(ordered).version,
        sbp=185,
        dbp=112,
        hr=96,
        spo2=97,
        rr=16,
        taken_at=ago(100),
    )
    services.record_administration(nurse, ordered, fresh(ordered).version, kind="stop", at=ago(70))
    session = make_discharge_ready(nurse, fresh(ordered))
    services.record_discharge(
        nurse,
        session,
        session.version,
        aldrete_score=10,
        dissociation_resolved=True,
        escort_present=True,
        told_not_to_drive=True,
        discharge=True,
    )

    return fresh(session)


def test_signing_is_refused_listing_each_open_alert(
    discharged_after_a_bp_alert: Any, prescriber: Any
) -> None:
    s = discharged_after_a_bp_alert
    with pytest.raises(ValidationError) as exc:
        services.sign_session(prescriber, s, s.version)
    text = " ".join(exc.value.messages)
    assert "open alert(s) before signing" in text
    assert "Systolic 185" in text and "Diastolic 112" in text and "critical" in text
    assert fresh(s).status == "discharged"


def test_after_each_alert_is_acknowledged_the_prescriber_signs(
    discharged_after_a_bp_alert: Any, prescriber: Any
) -> None:
    s = discharged_after_a_bp_alert
    reading = VitalsReading.objects.get(session=s, sbp=185)
    for _, alert in derive.open_alerts_to_sign(s):
        services.acknowledge_alert(prescriber, s, fresh(s).version, reading.pk, alert.code, "seen")
    assert AlertAck.objects.filter(reading=reading, by=prescriber).count() >= 2
    signed = services.sign_session(
        prescriber, s, fresh(s).version, "BP 185/112 rechecked and settled; reviewed."
    )
    assert signed.session.status == "signed"
    assert s.attestation.text == "BP 185/112 rechecked and settled; reviewed."


def test_the_page_lists_the_open_alerts_and_says_why_signing_failed(
    client: Any, login: Any, prescriber: Any, discharged_after_a_bp_alert: Any
) -> None:
    s = discharged_after_a_bp_alert
    c = login(client, prescriber)
    page = c.get(reverse("treatments:session", args=[s.pk])).content.decode()
    assert 'id="open-alerts"' in page and "Systolic 185" in page
    r = c.post(reverse("treatments:act", args=[s.pk, "sign"]), {"version": s.version}, follow=True)
    assert "open alert(s) before signing" in r.content.decode()
    assert fresh(s).status == "discharged"
