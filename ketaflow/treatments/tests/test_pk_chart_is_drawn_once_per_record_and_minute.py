"""The session page's PK chart (most of the page's time to draw) is reused for the same order,
record and minute, and drawn again when any of them changes (#14, web performance)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from ketaflow.conftest import DEFAULT_NOW
from ketaflow.treatments import services, views
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db


def test_the_chart_is_drawn_again_only_when_the_record_or_the_minute_changes(
    client: Any, login: Any, nurse: Any, ordered: Any, clock: Any, monkeypatch: Any
) -> None:
    cache.clear()
    drawn: list[int] = []
    draw = views._draw_curve

    def counting(view: Any, order: Any) -> Any:
        drawn.append(view.session.pk)
        return draw(view, order)

    monkeypatch.setattr(views, "_draw_curve", counting)
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(20)
    )
    login(client, nurse)
    url = reverse("treatments:session", args=[ordered.pk])
    first = client.get(url).content.decode()
    client.get(url)
    assert len(drawn) == 1 and 'id="pk-chart"' in first  # the same minute: reused
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="pause", at=ago(1), reason="nausea"
    )
    client.get(url)
    assert len(drawn) == 2  # a new event in the record: drawn again
    clock(DEFAULT_NOW + timedelta(minutes=1))
    client.get(url)
    assert len(drawn) == 3  # the next minute: drawn again
