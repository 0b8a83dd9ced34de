"""The chair board and the session page are drawn once and reused (`ops.freshness`) while
nothing changed: every read is still audited, a write by any path shows at the very next
read, the clock moving on past the window draws them again, and a reused drawing carries
the reader's own CSRF token (a form on it posts)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.audit.models import AccessEvent
from ketaflow.conftest import DEFAULT_NOW
from ketaflow.ops import freshness
from ketaflow.treatments import selectors, services
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db


def _count_draws(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(selectors, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, name, counted)
    return calls


def _started(nurse: Any, session: Any) -> Any:
    services.record_administration(
        nurse, session, fresh(session).version, kind="start", rate_ml_per_h=52.5, at=ago(5)
    )
    return fresh(session)


def test_the_board_is_drawn_once_and_every_read_is_audited(
    client: Any, login: Any, nurse: Any, ordered: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = _count_draws(monkeypatch, "board_unaudited")
    c = login(client, nurse)
    reads = AccessEvent.objects.filter(detail__part="chair_board")
    first = c.get(reverse("treatments:board")).content.decode()
    second = c.get(reverse("treatments:board")).content.decode()
    assert len(draws) == 1
    assert reads.count() == 2
    assert all(e.detail["patient_ids"] == [ordered.patient_id] for e in reads)
    assert first.count("Chair 1") == second.count("Chair 1") >= 1


def test_a_critical_reading_shows_on_the_next_poll_at_the_same_instant(
    client: Any, login: Any, nurse: Any, ordered: Any, clock: Any
) -> None:
    session = _started(nurse, ordered)
    clock(DEFAULT_NOW, still=True)  # no time passes: only the write can end the reuse
    c = login(client, nurse)
    assert "board-row-critical" not in c.get(reverse("treatments:board")).content.decode()
    services.record_vitals(
        nurse, session, fresh(session).version, sbp=185, dbp=112, hr=88, spo2=97, rr=14
    )
    polled = c.get(reverse("treatments:board"), headers={"HX-Request": "true"})
    assert "board-row-critical" in polled.content.decode()


def test_the_elapsed_minutes_move_on_once_the_window_has_passed(
    client: Any, login: Any, nurse: Any, ordered: Any, clock: Any
) -> None:
    _started(nurse, ordered)
    c = login(client, nurse)
    assert re.search(r">\s*5 min<", c.get(reverse("treatments:board")).content.decode())
    clock(DEFAULT_NOW + timedelta(minutes=2))
    assert re.search(r">\s*7 min<", c.get(reverse("treatments:board")).content.decode())


def test_the_session_page_is_drawn_once_audited_each_time_and_shows_a_write_at_once(
    client: Any, login: Any, nurse: Any, ordered: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = _count_draws(monkeypatch, "build_view")
    c = login(client, nurse)
    url = reverse("treatments:session", args=[ordered.pk])
    c.get(url)
    c.get(url)
    assert len(draws) == 1
    reads = AccessEvent.objects.filter(detail__part="treatment_session", patient=ordered.patient)
    assert reads.count() == 2
    _started(nurse, ordered)
    assert "pump infusing at 52.5 mL/h" in c.get(url).content.decode()
    assert len(draws) == 2


def test_a_form_on_a_reused_page_posts_with_the_readers_own_token(
    nurse: Any, ordered: Any, login: Any
) -> None:
    c = login(Client(enforce_csrf_checks=True), nurse)
    url = reverse("treatments:session", args=[ordered.pk])
    c.get(url)
    page = c.get(url).content.decode()  # reused
    assert freshness.CSRF_PLACEHOLDER not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    post = {
        "csrfmiddlewaretoken": token.group(1),
        "version": fresh(ordered).version,
        "kind": "start",
        "rate_ml_per_h": "52.5",
    }
    r = c.post(reverse("treatments:act", args=[ordered.pk, "event"]), post)
    assert r.status_code == 302
    assert fresh(ordered).status == "in_progress"


def test_another_reader_never_gets_the_first_readers_drawing(
    client: Any,
    login: Any,
    nurse: Any,
    prescriber: Any,
    ordered: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a reader may do (sign, override) is drawn for them: the drawing is theirs."""
    draws = _count_draws(monkeypatch, "build_view")
    url = reverse("treatments:session", args=[ordered.pk])
    login(Client(), nurse).get(url)
    login(client, prescriber).get(url)
    assert len(draws) == 2


def _critical_count(html: str) -> str | None:
    found = re.search(r'aria-label="Chair board, (\d+) critical alerts? open"', html)
    return found.group(1) if found else None


def test_the_headers_critical_count_shows_a_new_alert_on_the_next_page_at_once(
    client: Any, login: Any, nurse: Any, ordered: Any, clock: Any
) -> None:
    session = _started(nurse, ordered)
    clock(DEFAULT_NOW, still=True)  # no time passes: only the write can end the reuse
    c = login(client, nurse)
    home = reverse("web:home")
    c.get(home)
    assert _critical_count(c.get(home).content.decode()) is None  # the header reused
    services.record_vitals(
        nurse, session, fresh(session).version, sbp=185, dbp=112, hr=88, spo2=97, rr=14
    )
    assert _critical_count(c.get(home).content.decode()) == "1"


def test_the_header_marks_the_page_it_is_on(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    c = login(client, nurse)
    board = c.get(reverse("treatments:board")).content.decode()
    patients = c.get(reverse("patients:list")).content.decode()
    assert re.search(r'href="/treatments/board/" aria-current="page"', board)
    assert not re.search(r'href="/treatments/board/" aria-current="page"', patients)
    assert re.search(r'href="/patients/" aria-current="page"', patients)
