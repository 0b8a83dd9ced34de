"""Every box on the session page has a label; values show as words, not codes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db


def _page(client: Any, login: Any, user: Any, session: Any) -> str:
    return (
        login(client, user).get(reverse("treatments:session", args=[session.pk])).content.decode()
    )


def test_labels_and_human_values_while_dosing(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(10)
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
        taken_at=ago(5),
    )
    html = _page(client, login, nurse, ordered)
    assert '<label for="pump-rate">Rate (mL/h)</label>' in html
    assert '<label for="bolus-mg">Bolus / dose (mg)</label>' in html
    assert "pump infusing" in html and "pump not_started" not in html
    assert "During dose" in html and "during_dose" not in html and "pre_dose" not in html
    assert '<span class="tag tag-blue">Infusing</span>' in html
    assert html.index("Systolic 185") < html.index("Diastolic 112")


def test_the_discharge_boxes_are_labelled(
    client: Any, login: Any, prescriber: Any, observing: Any
) -> None:
    html = _page(client, login, prescriber, observing)
    for item in ("aldrete-activity", "padss-vital_signs"):  # every answer's words label it
        assert f'<label class="scale-choice" for="id_{item}_0"><input type="radio"' in html
    assert '<label for="dc-dissociation">Dissociation resolved</label>' in html
    assert '<label class="scale-choice" for="dc-escort">' in html
    overrides = re.findall(r'<input id="(dc-override-\d+)" name="override:', html)
    assert overrides, "the prescriber is offered at least one override here"
    for box in overrides:
        assert f'<label for="{box}">Reason to override</label>' in html


def test_a_signed_session_offers_no_entry_forms_and_no_next_vitals(
    client: Any, login: Any, prescriber: Any, discharged: Any
) -> None:
    services.sign_session(prescriber, discharged, discharged.version)
    html = _page(client, login, prescriber, discharged)
    assert "'side_effect' %}" not in html
    assert f"/treatments/{discharged.pk}/do/side_effect/" not in html
    assert f"/treatments/{discharged.pk}/do/rescue/" not in html
    assert "Next:" not in html
    assert '<span class="tag tag-blue">Signed</span>' in html
