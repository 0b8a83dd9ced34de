"""Security headers: nothing with patient data is cached; browser features are off; a weak
production key is refused; HSTS is on in production (`check --deploy` is clean)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

KETAFLOW = Path(sys.executable).parent / "ketaflow"


def test_a_chart_page_and_an_api_answer_are_never_stored(client, login, nurse, patient):
    login(client, nurse)
    for url in (
        reverse("patients:detail", args=[patient.pk]),
        f"/api/v1/patients/{patient.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


def test_the_sign_in_page_is_never_stored_and_turns_off_browser_features(client):
    response = client.get(reverse("accounts:login"))
    assert "no-store" in response["Cache-Control"]
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in policy


def _production(secret_key: str, *command: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KETAFLOW_ENV": "production",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "ketaflow.example.org",
    }
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [str(KETAFLOW), *command], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "weak",
    ["short-key", "a" * 60, "django-insecure-" + secrets.token_urlsafe(50)],
    ids=["short", "repetitive", "template"],
)
def test_production_refuses_to_start_with_a_weak_secret_key(weak):
    result = _production(weak, "check")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_settings_pass_the_deployment_checks_with_hsts():
    result = _production(secrets.token_urlsafe(50), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_api_docs_scripts_stay_cacheable(settings, db):
    """They hold no data; a blanket no-store there only made every docs visit re-download them.
    They are ninja's static files, answered by WhiteNoise before the no-store middleware."""
    from django.test import Client

    settings.WHITENOISE_USE_FINDERS = True  # as after collectstatic; tests run with DEBUG off
    response = Client().get("/static/ninja/swagger-ui-bundle.js")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]


def test_every_page_and_api_answer_carries_a_strict_content_security_policy(
    client, login, nurse, patient
):
    """No inline script or style anywhere (#15): the pages use neither, so the policy says so."""
    login(client, nurse)
    for url in (
        reverse("accounts:login"),
        reverse("patients:detail", args=[patient.pk]),
        f"/api/v1/patients/{patient.pk}",
    ):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", url
        assert directives["style-src"] == "'self'", url
        assert directives["object-src"] == "'none'", url
        assert directives["frame-ancestors"] == "'none'", url
        assert "unsafe" not in policy, url
