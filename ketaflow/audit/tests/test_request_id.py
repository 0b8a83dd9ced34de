"""The request id that ties audit events together: a client's is kept only if it is safe."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketaflow.audit.models import AccessEvent


def _view_chart(client, login, nurse, patient, **headers):
    login(client, nurse)
    response = client.get(reverse("patients:detail", args=[patient.pk]), **headers)
    event = AccessEvent.objects.filter(actor=nurse, action="view").latest("pk")
    return response, event


def test_a_well_formed_request_id_from_a_proxy_is_kept(client, login, nurse, patient):
    response, event = _view_chart(
        client, login, nurse, patient, HTTP_X_REQUEST_ID="req-2026-12-06.abc:42"
    )
    assert event.request_id == "req-2026-12-06.abc:42"
    assert response["X-Request-Id"] == "req-2026-12-06.abc:42"


@pytest.mark.parametrize(
    "hostile",
    ["<script>alert(1)</script>", "a\r\nSet-Cookie: x=1", "x" * 65, "short", "id with spaces"],
    ids=["html", "newline", "too-long", "too-short", "spaces"],
)
def test_an_unsafe_request_id_is_replaced_not_stored(client, login, nurse, patient, hostile):
    response, event = _view_chart(client, login, nurse, patient, HTTP_X_REQUEST_ID=hostile)
    assert event.request_id != hostile and hostile not in event.request_id
    assert len(event.request_id) == 32 and event.request_id.isalnum()
    assert response["X-Request-Id"] == event.request_id
