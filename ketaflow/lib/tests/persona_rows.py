"""The persona rows every permission matrix declares, in one shape the route census can read.

Each app's matrix module keeps a module-level `PERSONA_ROWS`: one `Row` per page or API
operation, the address as the module's tests request it (`{name}` marks an id its world fills
in) and the status each persona gets. The module's own parametrised tests run those rows;
`ketaflow/api/tests/test_every_route_has_a_persona_row.py` resolves them to the URL map and
fails for any route that no row reaches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import resolve

from ketaflow.lib.tests.api_client import call

PERSONAS = ("front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider")

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def expect(fd: int, nu: int, pr: int, ad: int, re_: int, out: int) -> dict[str, int]:
    """Statuses in the persona order: front desk, nurse, prescriber, admin, researcher, outsider."""
    return dict(zip(PERSONAS, (fd, nu, pr, ad, re_, out), strict=True))


@dataclass(frozen=True)
class Row:
    method: str  # GET, POST, PATCH…
    path: str  # absolute, e.g. "/patients/{p}/chart/" or "/api/v1/safety/due"
    expect: Mapping[str, int]
    body: Any = field(default=None, compare=False)  # or a function of the world's ids

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def route_of(row: Row) -> tuple[str, str]:
    """The URL pattern a row's request reaches: ("GET", "api/v1/…") for an API operation (each
    method is its own operation), ("*", "patients/<int:pk>/") for a page (one view, any method).
    """
    match = resolve(_PLACEHOLDER.sub("1", row.path).partition("?")[0])
    api = match.route.startswith("api/")
    return (row.method.upper() if api else "*", match.route)


def request(client: Client, row: Row, ids: Mapping[str, Any], body: Any = None) -> Any:
    """Make a row's request: JSON for the API, a form post or a GET for pages."""
    path = row.path.format(**ids)
    data = row.body if body is None else body
    if callable(data):
        data = data(ids)
    if path.startswith("/api/"):
        return call(client, row.method, path.removeprefix("/api/v1"), data)
    if row.method == "GET":
        return client.get(path)
    return client.post(path, data or {})


class _Stand:
    """A record's stand-in: its `pk` is the placeholder a row's address keeps for it."""

    def __init__(self, name: str) -> None:
        self.pk = "{" + name + "}"


def placeholders(*names: str) -> dict[str, Any]:
    """A world of stand-ins, to turn a matrix's address-building function into row templates."""
    return {name: _Stand(name) for name in names}
