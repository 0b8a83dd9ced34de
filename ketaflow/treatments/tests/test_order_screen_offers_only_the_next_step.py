"""The order screen offers only the next step: no "Start" before a confirmed order, no second
empty order form once an order exists, and today's weight box suggests the last weight."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.patients.services import add_entry
from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db


def _page(client: Any, login: Any, user: Any, session: Any) -> str:
    return (
        login(client, user).get(reverse("treatments:session", args=[session.pk])).content.decode()
    )


def _start_buttons(html: str) -> list[str]:
    return re.findall(r'<button[^>]*name="kind" value="start"[^>]*>', html)


def _order_forms(html: str) -> list[str]:
    return re.findall(r"<form[^>]*/order/?\"[^>]*>.*?</form>", html, flags=re.S)


def test_no_start_before_an_order(client: Any, login: Any, nurse: Any, ready: Any) -> None:
    html = _page(client, login, nurse, ready)
    assert fresh(ready).status == "ready"
    assert _start_buttons(html) == []
    assert "once a prescriber has confirmed the order" in html


def test_no_start_while_the_order_is_only_proposed(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    services.enter_order(nurse, ready, ready.version, mg_per_kg=0.5, concentration_mg_per_ml=1.0)
    html = _page(client, login, nurse, ready)
    assert _start_buttons(html) == []
    assert "Waiting for a prescriber to confirm this order" in html


def test_start_once_the_order_is_confirmed(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    html = _page(client, login, nurse, ordered)
    assert len(_start_buttons(html)) == 1
    assert "once a prescriber has confirmed" not in html


def test_before_any_order_the_prescriber_sees_one_empty_order_form(
    client: Any, login: Any, prescriber: Any, ready: Any
) -> None:
    forms = _order_forms(_page(client, login, prescriber, ready))
    assert len(forms) == 1
    assert "Enter order" in forms[0]
    assert 'name="mg_per_kg" inputmode="decimal" value=""' in forms[0]


def test_with_a_proposed_order_the_prescriber_gets_confirm_not_a_second_empty_form(
    client: Any, login: Any, nurse: Any, prescriber: Any, ready: Any
) -> None:
    services.enter_order(nurse, ready, ready.version, mg_per_kg=0.5, concentration_mg_per_ml=1.0)
    html = _page(client, login, prescriber, ready)
    assert "Confirm order" in html
    forms = _order_forms(html)
    assert len(forms) == 1  # the change form only, folded away and filled with the order
    assert "Change the order" in html and "Replace the order" in forms[0]
    assert 'name="mg_per_kg" inputmode="decimal" value="0.5"' in forms[0]
    assert 'name="concentration_mg_per_ml" inputmode="decimal" value="1.0"' in forms[0]
    assert "Enter order" not in html


def test_the_weight_placeholder_is_the_patients_last_weight(
    client: Any, login: Any, nurse: Any, checked_in: Any
) -> None:
    html = _page(client, login, nurse, checked_in)
    box = re.search(r'<input id="wt"[^>]*>', html)
    assert box is not None and "placeholder" not in box.group(0)  # nothing known: no guess
    weight = {"kind": "weight", "entered_value": Decimal("83.4"), "entered_unit": "kg"}
    add_entry(
        nurse, checked_in.patient, "measurements", {**weight, "measured_on": date(2026, 1, 5)}
    )
    add_entry(nurse, checked_in.patient, "measurements", {**weight, "entered_value": Decimal("81"),
              "measured_on": date(2025, 12, 1)})  # fmt: skip
    html = _page(client, login, nurse, checked_in)
    box = re.search(r'<input id="wt"[^>]*>', html)
    assert box is not None and 'placeholder="83.4"' in box.group(0)
    assert "Last recorded 83.4 kg on 5 Jan 2026" in html


def test_during_the_infusion_the_pk_chart_shows_the_plan_beside_what_was_delivered(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(20)
    )
    html = _page(client, login, nurse, ordered)
    chart = re.search(r'<figure id="pk-chart".*?</figure>', html, flags=re.S)
    assert chart is not None
    assert "the order's planned course beside what was delivered so far" in chart.group(0)
    summary = re.search(r'<p id="pk-summary"[^>]*>(.*?)</p>', chart.group(0), flags=re.S)
    assert summary is not None
    assert "Planned (the order): 35.0 mg over 40 min" in summary.group(1)
    assert "Delivered so far: 17.5 mg by 20 min after the start" in summary.group(1)
    assert "<svg" in chart.group(0)
