"""axe-core on every role's main pages of the demo, in Chromium: no critical or serious finding,
and nothing the Content-Security-Policy refused (an inline style or script would be, #15).

Each demo role signs in through the real form and opens the pages its work starts from
(home, the patient pages, the session, the board, the schedule, ...); axe runs on each as
the browser shows it. The failure lists every finding with its page, rule and elements.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from ketaflow.lib.tests.axe import serious_violations
from ketaflow.lib.tests.browser import chromium

pytestmark = pytest.mark.browser

#: The pages each role's day starts from ({p} a patient, {c} a course, {s} a session).
PATIENT_PAGES = (
    "/patients/{p}/",
    "/patients/{p}/chart/",
    "/screening/patients/{p}/",
    "/courses/patient/{p}/",
    "/courses/{c}/",
    "/outcomes/patient/{p}/",
    "/safety/patients/{p}/",
)
PAGES: dict[str, tuple[str, ...]] = {
    "frontdesk": ("/", "/patients/", "/courses/schedule/", "/patients/{p}/"),
    "nurse": (
        "/",
        "/patients/",
        "/treatments/board/",
        "/treatments/{s}/",
        "/p/staff/alerts/",
        *PATIENT_PAGES,
    ),
    "prescriber": ("/", "/treatments/{s}/", "/treatments/rems/due/", "/pk/", *PATIENT_PAGES),
    "admin": ("/", "/users/", "/audit/", "/devices/setup/", "/courses/setup/"),
    "researcher": ("/", "/outcomes/"),
}
#: Pages not of Ketaflow's making (ninja's Swagger UI): checked for CSP refusals only.
CSP_ONLY: dict[str, tuple[str, ...]] = {"admin": ("/api/v1/docs",)}


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            context.close()


def _ids() -> dict[str, int]:
    from ketaflow.accounts.models import Clinic
    from ketaflow.courses.models import Course
    from ketaflow.treatments.models import TreatmentSession

    clinic = Clinic.objects.get(slug="demo")
    session = TreatmentSession.objects.filter(patient__clinic=clinic).order_by("pk").first()
    course = Course.objects.filter(patient__clinic=clinic).order_by("pk").first()
    assert session is not None and course is not None
    return {"p": course.patient_id, "c": course.pk, "s": session.pk}


def test_every_roles_main_pages_have_no_serious_accessibility_finding_nor_csp_refusal(
    page: Any, live_server: Any
) -> None:
    from ketaflow.demo.clinic import DEMO_PASSWORD

    call_command("seed-demo", "--no-history", stdout=StringIO())
    ids = _ids()
    found: list[str] = []
    refused: list[str] = []  # Chromium reports each CSP refusal as a console error
    page.on(
        "console",
        lambda m: (
            refused.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None
        ),
    )
    for username, paths in PAGES.items():
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        for path in paths:
            response = page.goto(live_server.url + path.format(**ids))
            assert response is not None and response.status == 200, (username, path)
            page.wait_for_load_state("networkidle")
            found += [f"{username}: {line}" for line in serious_violations(page)]
        for path in CSP_ONLY.get(username, ()):
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, (username, path)
            page.wait_for_load_state("networkidle")
    assert not refused, "\n".join(refused)
    assert not found, "\n".join(found)
