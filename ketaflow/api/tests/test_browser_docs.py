"""A signed-in nurse opens the API docs in a real browser and sees the operations listed.

The page used to render blank: its settings JSON was HTML-escaped inside <script>. Only a
browser running Swagger UI shows that the page works; Swagger UI loads from this server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ketaflow.conftest import PASSWORD
from ketaflow.lib.tests.browser import ARTIFACTS, chromium

pytestmark = pytest.mark.browser


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()


def test_a_signed_in_nurse_sees_the_api_operations_in_the_docs(
    page: Any, live_server: Any, nurse: Any, patient: Any
) -> None:
    from playwright.sync_api import expect

    outside: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url),
    )

    page.goto(f"{live_server.url}/patients/")
    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    page.goto(f"{live_server.url}/api/v1/docs")
    # The schema of every operation is built on this first request: slow on a busy machine.
    expect(page.get_by_text("Ketaflow API").first).to_be_visible(timeout=60_000)
    search = page.locator(".opblock-summary", has_text="Search patients")
    expect(search).to_be_visible()
    expect(page.get_by_text("Register a patient")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))

    # Try an operation with the session cookie: the nurse's own clinic's patient comes back.
    search.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table tbody .response-col_status").first).to_have_text(
        "200", timeout=30_000
    )
    expect(page.locator(".live-responses-table")).to_contain_text(patient.family_name)
    assert not outside, f"the docs reached beyond this server: {outside}"
