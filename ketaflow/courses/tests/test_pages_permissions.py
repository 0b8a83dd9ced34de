"""Every course page for every persona: allowed (200), forbidden (403) or not found (404)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ketaflow.lib.tests.persona_rows import Row, expect, request

PERSONAS = ("front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider")
BOOKERS = {
    "front_desk": 200,
    "nurse": 200,
    "prescriber": 200,
    "clinic_admin": 200,
    "researcher": 403,
    "outsider": 404,
}
PRESCRIBER_ONLY = {**dict.fromkeys(PERSONAS, 403), "prescriber": 200, "outsider": 404}
CLINICAL = {**BOOKERS, "front_desk": 403, "clinic_admin": 403}
ADMIN_ONLY = {**dict.fromkeys(PERSONAS, 403), "clinic_admin": 200}

PAGES = [
    ("/courses/schedule/", {**BOOKERS, "outsider": 200}),
    ("/courses/patient/{patient}/", BOOKERS),
    ("/courses/patient/{patient}/start/", PRESCRIBER_ONLY),
    ("/courses/{course}/", BOOKERS),
    ("/courses/{course}/book/", BOOKERS),
    ("/courses/appointments/{appt}/reschedule/", BOOKERS),
    ("/courses/appointments/{appt}/cancel/", BOOKERS),
    ("/courses/protocols/", {**CLINICAL, "outsider": 200}),
    ("/courses/protocols/{protocol}/", CLINICAL),
    ("/courses/protocols/{protocol}/revise/", PRESCRIBER_ONLY),
    ("/courses/setup/", ADMIN_ONLY),
    ("/courses/setup/chairs/{chair}/", ADMIN_ONLY),
    ("/courses/setup/closed/{closed}/reopen/", ADMIN_ONLY),
    ("/courses/setup/extra/{extra}/withdraw/", ADMIN_ONLY),
]

REDIRECTED = expect(302, 302, 302, 302, 403, 404)  # bookers: done, back to the page
ADMIN_DONE = expect(403, 403, 403, 302, 403, 403)
DAY = "{saturday}"

# Form posts, run by `test_each_persona_gets_a_post_done_a_403_or_a_404`.
POSTS = [
    Row(
        "POST",
        "/courses/{course}/phase/",
        {**PRESCRIBER_ONLY, "prescriber": 302},
        {"to_phase": "induction"},
    ),
    Row(
        "POST",
        "/courses/{course}/decisions/",
        # The prescriber's form comes back with the reason: nothing has been given in this
        # world yet (test_series_decisions.py has the saves).
        PRESCRIBER_ONLY,
        {"decision": "continue", "note": "as planned"},
    ),
    Row(
        "POST",
        "/courses/{course}/book-series/",
        REDIRECTED,
        {"at": "09:00", "book_anyway": "on"},  # no eligibility or consent yet: booked ahead
    ),
    Row("POST", "/courses/appointments/{appt}/status/", REDIRECTED, {"status": "checked_in"}),
    Row("POST", "/courses/appointments/{appt}/confirm/", REDIRECTED, {"note": "Phoned"}),
    Row("POST", "/courses/patient/{patient}/feed/", BOOKERS),
    Row("POST", "/courses/feeds/{feed}/revoke/", REDIRECTED),
    Row("POST", "/courses/protocols/adopt/", expect(403, 403, 302, 403, 403, 302)),
    Row("POST", "/courses/setup/chairs/add/", ADMIN_DONE, {"name": "Chair 9"}),
    Row("POST", "/courses/setup/chairs/{chair}/feed/", ADMIN_ONLY),
    # An empty opening-hours form: the admin gets the page back with its errors.
    Row("POST", "/courses/setup/hours/", ADMIN_ONLY, {}),
    Row("POST", "/courses/setup/closed/add/", ADMIN_DONE, {"on": DAY, "reason": "Training"}),
    Row(
        "POST",
        "/courses/setup/extra/add/",
        ADMIN_DONE,
        {"on": DAY, "opens_at": "09:00", "closes_at": "12:00", "reason": "Extra"},
    ),
]

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [Row("GET", url, expected) for url, expected in PAGES] + POSTS


@pytest.fixture
def world(front_desk, clinic_admin, course, chairs, monday, at) -> dict[str, Any]:
    from datetime import time

    from ketaflow.courses.services import add_extra_opening, book_appointment, close_day

    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    closed = close_day(clinic_admin, on=monday + timedelta(days=1), reason="Training")
    extra = add_extra_opening(
        clinic_admin,
        on=monday + timedelta(days=5),
        opens_at=time(9),
        closes_at=time(13),
        reason="Saturday clinic",
    )
    from ketaflow.courses.services.feeds import issue_patient_feed

    feed, _raw = issue_patient_feed(front_desk, course.patient)
    return {
        "feed": feed.pk,
        "saturday": (monday + timedelta(days=12)).isoformat(),
        "patient": course.patient_id,
        "course": course.pk,
        "appt": appt.pk,
        "protocol": course.protocol_version_id,
        "chair": chairs[0].pk,
        "closed": closed.pk,
        "extra": extra.pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("url", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_each_persona_gets_the_page_a_403_or_a_404(
    client, login, personas, world, persona, url, expected
):
    login(client, personas[persona])
    response = client.get(url.format(**world))
    assert response.status_code == expected[persona]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", POSTS, ids=str)
def test_each_persona_gets_a_post_done_a_403_or_a_404(client, login, personas, world, persona, row):
    login(client, personas[persona])
    body = {k: v.format(**world) for k, v in (row.body or {}).items()}
    response = request(client, row, world, body or {"-": ""})
    assert response.status_code == row.expect[persona], response.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [p[0] for p in PAGES])
def test_anonymous_visitors_are_sent_to_sign_in(client, world, url):
    response = client.get(url.format(**world))
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["front_desk", "nurse", "clinic_admin", "researcher"])
def test_only_a_prescriber_may_post_a_phase_change(client, login, personas, world, persona):
    login(client, personas[persona])
    response = client.post(f"/courses/{world['course']}/phase/", {"to_phase": "induction"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_an_outsider_cannot_post_to_our_course(client, login, outsider, world):
    login(client, outsider)
    response = client.post(f"/courses/{world['course']}/phase/", {"to_phase": "induction"})
    assert response.status_code == 404
    response = client.post(f"/courses/appointments/{world['appt']}/cancel/", {"reason": "x"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_front_desk_does_not_see_planned_doses(client, login, front_desk, nurse, world):
    login(client, front_desk)
    assert "mg/kg" not in client.get(f"/courses/{world['course']}/").content.decode()
    login(client, nurse)
    assert "mg/kg" in client.get(f"/courses/{world['course']}/").content.decode()
