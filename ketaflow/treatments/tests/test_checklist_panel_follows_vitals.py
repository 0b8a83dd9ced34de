"""Recording baseline vitals on the session page redraws the checklist panel too (out of band).

The checklist's "Baseline vitals" item is derived from the readings, so the htmx response to a
vitals entry carries the checklist panel as it now stands, at the new page version. When
someone else also changed the session, the panel is left alone (the page must reload first).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db
OOB_PANEL = '<section class="card" id="checklist" hx-swap-oob="true">'


def _post_vitals(client: Any, session: Any, version: int) -> str:
    response = client.post(
        reverse("treatments:act", args=[session.pk, "vitals"]),
        {"version": version, "sbp": "122", "dbp": "78", "hr": "70"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    return response.content.decode()


def test_baseline_vitals_update_the_checklist_panel_in_the_same_response(
    client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    c = login(client, nurse)
    page = c.get(reverse("treatments:session", args=[checked_in.pk])).content.decode()
    panel = page.split('id="checklist"')[1].split("</section>")[0]
    assert "Take baseline vitals" in panel
    body = _post_vitals(c, checked_in, fresh(checked_in).version)
    assert OOB_PANEL in body
    panel = body.split(OOB_PANEL)[1].split("</section>")[0]
    assert "Take baseline vitals" not in panel
    assert "122/78" in panel
    assert f'name="version" value="{fresh(checked_in).version}"' in panel


def test_the_panel_is_not_redrawn_over_someone_elses_change(
    client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    seen = fresh(checked_in).version
    services.add_note(nurse, checked_in, seen, "Arrived with her partner.")  # another desk
    body = _post_vitals(login(client, nurse), checked_in, seen)
    assert OOB_PANEL not in body


def test_the_full_page_still_shows_the_checklist_once(
    client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    page = login(client, nurse).get(reverse("treatments:session", args=[checked_in.pk]))
    html = page.content.decode()
    assert html.count('id="checklist"') == 1
    assert "hx-swap-oob" not in html.split('id="checklist"')[1].split(">")[0]
