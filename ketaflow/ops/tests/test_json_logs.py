"""Every log line of a request carries the request id the audit log records for it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ketaflow.audit.models import AccessEvent
from ketaflow.ops.logs import RequestIdFilter, json_formatter

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The root logger writing JSON with the request-id filter, as LOGGING sets it up."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_the_settings_wire_the_filter_and_both_formats() -> None:
    handler = settings.LOGGING["handlers"]["console"]
    assert handler["filters"] == ["request_id"]
    assert handler["formatter"] == settings.KETAFLOW_LOG_FORMAT
    assert settings.LOGGING["filters"]["request_id"]["()"] == "ketaflow.ops.logs.RequestIdFilter"
    assert settings.LOGGING["formatters"]["json"]["()"] == "ketaflow.ops.logs.json_formatter"


def test_a_request_logs_json_with_the_audit_rows_request_id(
    client: Client, nurse: Any, json_lines: io.StringIO
) -> None:
    client.post(
        reverse("accounts:login") + "?q=Smith",
        {"username": nurse.username, "password": "wrong"},
        HTTP_X_REQUEST_ID="req-from-the-proxy-0001",
    )
    event = AccessEvent.objects.get(action="sign_in_failed")
    assert event.request_id == "req-from-the-proxy-0001"

    [access] = [line for line in lines(json_lines) if line["name"] == "ketaflow.access"]
    assert access["request_id"] == event.request_id
    assert access["levelname"] == "INFO"
    assert access["method"] == "POST" and access["path"] == "/accounts/login/"
    assert access["status"] == 200 and access["duration_ms"] >= 0
    assert "Smith" not in json_lines.getvalue()  # no query string


def test_a_new_request_id_is_the_one_in_the_log_and_the_audit_row(
    client: Client, nurse: Any, json_lines: io.StringIO
) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": nurse.username, "password": "wrong"}
    )
    event = AccessEvent.objects.get(action="sign_in_failed")
    assert len(event.request_id) == 32
    assert response["X-Request-Id"] == event.request_id
    [access] = [line for line in lines(json_lines) if line["name"] == "ketaflow.access"]
    assert access["request_id"] == event.request_id


def test_djangos_not_found_line_after_the_middleware_carries_the_id_too(
    client: Client, json_lines: io.StringIO
) -> None:
    response = client.get("/no-such-page/?name=Smith")
    assert response.status_code == 404
    [not_found] = [line for line in lines(json_lines) if line["name"] == "django.request"]
    assert not_found["request_id"] == response["X-Request-Id"]
    assert "request" not in not_found and "Smith" not in json_lines.getvalue()


def test_a_line_outside_any_request_has_an_empty_request_id(json_lines: io.StringIO) -> None:
    logging.getLogger("ketaflow.test").warning("started")
    [line] = lines(json_lines)
    assert line["timestamp"].endswith("+00:00")
    assert line == {
        "timestamp": line["timestamp"],
        "levelname": "WARNING",
        "name": "ketaflow.test",
        "message": "started",
        "request_id": "",
    }


def test_probes_are_not_logged_unless_they_fail(client: Client, json_lines: io.StringIO) -> None:
    client.get("/healthz")
    assert not [line for line in lines(json_lines) if line["name"] == "ketaflow.access"]


def test_the_access_line_names_the_signed_in_user(
    client: Client, nurse: Any, login: Any, json_lines: io.StringIO
) -> None:
    login(client, nurse)
    client.get("/")
    [access] = [line for line in lines(json_lines) if line["name"] == "ketaflow.access"][-1:]
    assert access["user_id"] == nurse.pk and access["path"] == "/"


def test_the_access_line_never_looks_the_user_up_itself() -> None:
    from django.http import HttpRequest
    from django.utils.functional import SimpleLazyObject

    from ketaflow.ops.middleware import _user_id

    looked_up = []
    request = HttpRequest()
    request.user = SimpleLazyObject(lambda: looked_up.append(1))  # type: ignore[assignment]
    assert _user_id(request) is None and not looked_up
