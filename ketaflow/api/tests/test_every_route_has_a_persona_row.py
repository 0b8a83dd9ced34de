"""Every page and every API operation has a persona row: a new URL without one fails here.

The census walks the whole URL map (ketaflow/urls.py, the django-ninja API's operations one per
method) and resolves every row of every app's permission matrix (`PERSONA_ROWS`, see
`ketaflow/lib/tests/persona_rows.py`) to the route it reaches. A route no row reaches is named
in the failure; give it a row in its app's matrix, asserted for every persona.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from ninja.operation import PathView

from ketaflow.lib.tests.persona_rows import PERSONAS, Row, route_of

# The matrices, one module per app (or per part of an app). A new matrix module goes here.
MATRICES = (
    "ketaflow.api.tests.test_permissions",
    "ketaflow.web.tests.test_pages_permissions",
    "ketaflow.accounts.tests.test_pages_permissions",
    "ketaflow.auditlog.tests.test_permissions",
    "ketaflow.patients.tests.test_views_permissions",
    "ketaflow.screening.tests.test_views_permissions",
    "ketaflow.screening.tests.test_api_permissions",
    "ketaflow.courses.tests.test_pages_permissions",
    "ketaflow.courses.tests.test_api_courses",
    "ketaflow.courses.tests.test_followup_permissions",
    "ketaflow.treatments.tests.test_pages_and_api_permissions",
    "ketaflow.treatments.tests.test_api_matrix",
    "ketaflow.treatments.tests.test_rems_pages_permissions",
    "ketaflow.pk_explorer.tests.test_permissions",
    "ketaflow.portal.tests.test_staff_pages_permissions",
    "ketaflow.portal.tests.test_api",
    "ketaflow.outcomes.tests.test_permissions",
    "ketaflow.safety.tests.test_permissions",
    "ketaflow.dispensing.tests.test_pages_and_api_permissions",
    "ketaflow.homediary.tests.test_permissions",
    "ketaflow.devices.tests.test_pages_and_api_permissions",
    "ketaflow.fhir.tests.test_api_permissions_and_reads",
    "ketaflow.fhir.tests.test_clinic_export_jobs",
    "ketaflow.fhir.tests.test_bulk_data_export",
    "ketaflow.mail.tests.test_failed_emails_page",
    "ketaflow.emergency.tests.test_pages_permissions",
    "ketaflow.ops.tests.test_permissions",
)

# Django's admin, skipped whole: its own staff/superuser permissions, not the clinic's roles.
SKIPPED_INCLUDES = {"admin/"}

# Routes with no persona row, on purpose. Each says why no persona matrix applies.
ALLOWED_WITHOUT_A_ROW = {
    # Signing in and out, and two-factor: reached before a role applies (accounts' own tests).
    "accounts/login/",
    "accounts/logout/",
    "accounts/two-factor/setup/",
    "accounts/two-factor/verify/",
    "accounts/two-factor/backup-codes/",
    # Any other address under /api/: the API's JSON 404 (test_schemathesis_two_roles.py).
    "^api/(?P<rest>.*)$",
    # Password reset by email: for someone signed out (accounts' test_account_recovery.py).
    "accounts/password-reset/",
    "accounts/password-reset/sent/",
    "accounts/password-reset/<uidb64>/<token>/",
    "accounts/password-reset/complete/",
    # The patient portal's pages: reached by the patient's expiring link, never by a staff role
    # (portal/tests: test_links.py and the page tests check the token, its expiry and revocation).
    "p/q/<str:token>/",
    "p/q/<str:token>/form/<slug:code>/",
    "p/q/<str:token>/help/",
    "p/q/<str:token>/who-saw-my-record/",
    "p/q/<str:token>/learn/",
    "p/q/<str:token>/learn/<slug:slug>/",
    "p/q/<str:token>/diary/",
    "p/q/<str:token>/something-wrong/",
    # A calendar feed: its secret token is the credential (calendar apps do not sign in);
    # courses/tests/test_calendar_feeds.py covers the token and its revocation.
    "courses/feeds/<str:token>.ics",
    # The API's root, OpenAPI document, docs page (its assets are static files): public, no data.
    "api/v1/",
    "api/v1/openapi.json",
    "api/v1/docs",
}


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if prefix + str(entry.pattern) in SKIPPED_INCLUDES:
                continue
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _path_view(pattern: URLPattern) -> PathView | None:
    """The django-ninja path view behind a pattern (its view closes over it), if any."""
    for cell in getattr(pattern.callback, "__closure__", None) or ():
        if isinstance(cell.cell_contents, PathView):
            return cell.cell_contents
    return None


def every_route() -> dict[tuple[str, str], str]:
    """(method or "*", route) -> a readable name, for every page and every API operation."""
    routes: dict[tuple[str, str], str] = {}
    for route, pattern in _patterns(get_resolver().url_patterns):
        if route in ALLOWED_WITHOUT_A_ROW:
            continue
        path_view = _path_view(pattern)
        if path_view is None:
            routes[("*", route)] = f"page /{route} ({pattern.name})"
            continue
        for operation in path_view.operations:
            for method in operation.methods:
                name = operation.view_func.__module__ + "." + operation.view_func.__name__
                routes[(method.upper(), route)] = f"{method.upper()} /{route} ({name})"
    return routes


def every_row() -> list[tuple[str, Row]]:
    return [
        (module, row) for module in MATRICES for row in importlib.import_module(module).PERSONA_ROWS
    ]


def test_every_page_and_api_operation_has_a_persona_row() -> None:
    covered = {route_of(row) for _module, row in every_row()}
    missing = sorted(name for key, name in every_route().items() if key not in covered)
    assert not missing, f"{len(missing)} routes have no persona row:\n" + "\n".join(missing)


def test_every_row_gives_every_persona_a_status() -> None:
    incomplete = [f"{m}: {row}" for m, row in every_row() if set(row.expect) != set(PERSONAS)]
    assert not incomplete, "\n".join(incomplete)


def test_the_allow_list_names_only_routes_that_exist() -> None:
    """A route removed or renamed leaves no stale exclusion behind."""
    seen = {str(entry.pattern) for entry in get_resolver().url_patterns}
    seen |= {route for (_m, route) in _all_routes_including_allowed()}
    assert not ALLOWED_WITHOUT_A_ROW - seen, ALLOWED_WITHOUT_A_ROW - seen


def _all_routes_including_allowed() -> set[tuple[str, str]]:
    def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            else:
                yield ("*", route)

    return set(walk(get_resolver().url_patterns))
