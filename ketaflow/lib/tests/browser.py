"""Debian's Chromium under Playwright for the real-browser tests: one launcher for all of them.

Without /usr/bin/chromium a test is skipped (`apt-get install chromium`), unless
KETAFLOW_REQUIRE_BROWSER=1 (CI), which makes that a failure: browser tests never skip in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
# Headless in a sandboxed machine without a network: no GPU, no shared-memory limits, and no
# background connections (they are refused here, many at a time).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A launched Playwright Browser, closed on exit; skips (or fails in CI) without Chromium."""
    if not CHROMIUM.exists():
        if os.environ.get("KETAFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail("KETAFLOW_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("Chromium not installed: apt-get install chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself are still synchronous and safe (pytest-django's advice for live_server).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # The test's own ORM calls ran while Playwright's event loop was current, which
            # gives them connections of their own; close them here, or PostgreSQL refuses
            # to drop the test database ("being accessed by other users").
            connections.close_all()
