"""The API keeps its own OpenAPI promise, generated case by case (#15, "done when").

Schemathesis reads /api/v1/openapi.json and, for every operation, generates requests from the
documented parameters and bodies (a few each: bounded for CI), sends each with the bearer token
of two roles (a nurse and a clinic admin, who reach different operations) to the real app over
WSGI, and checks the answer: never a server error, and status code, content type and body as
the schema documents them. A failure prints the request that reproduces it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.serializers.json import DjangoJSONEncoder
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ketaflow.accounts.services import issue_api_token

#: Generated requests per operation and role: enough to reach each documented shape, bounded so
#: the whole API takes a few minutes in CI.
EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _schema() -> Any:
    """The document /api/v1/openapi.json serves, with the app to call over WSGI."""
    from ketaflow.api import api

    document = json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    loaded.location = "/api/v1/openapi.json"
    return loaded


schema = _schema()


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection() -> Iterator[None]:
    """Schemathesis calls the WSGI app directly, so Django's end-of-request signal would close
    the database connection that holds the test's transaction (PostgreSQL then answers 500s).
    Django's own test client unhooks the same handler around its requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def role_tokens(nurse: Any, clinic_admin: Any, patient: Any) -> dict[str, str]:
    return {
        "nurse": issue_api_token(nurse, "schemathesis")[1],
        "clinic admin": issue_api_token(clinic_admin, "schemathesis")[1],
    }


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# Committed as in production (each request its own transaction): on PostgreSQL a statement
# the API refuses (a 422 for an id past the column's range) would otherwise leave the test's
# one transaction aborted, and every later request would fail on it.
@pytest.mark.django_db(transaction=True)
def test_every_operation_answers_as_documented_for_two_roles(
    case: Any, role_tokens: dict[str, str]
) -> None:
    for token in role_tokens.values():
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_address_no_operation_answers_gets_the_apis_json_404(client: Any, method: str) -> None:
    response = getattr(client, method)("/api/v1/courses/null,null/phase")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"][0]["type"] == "not_found"


def test_every_operation_documents_the_uniform_errors() -> None:
    from ketaflow.api import api

    for path, item in api.get_openapi_schema()["paths"].items():
        for method, operation in item.items():
            documented = {str(status) for status in operation["responses"]}
            assert {"401", "403", "404", "422"} <= documented, (method, path)
