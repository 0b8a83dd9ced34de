"""The JSON API root (django-ninja) at /api/v1/: each app adds its router here."""

from __future__ import annotations

from ninja import NinjaAPI

from ketaflow.lib.api_auth import TokenAuth, session_auth
from ketaflow.lib.api_errors import install_error_handlers

api = NinjaAPI(
    title="Ketaflow API",
    version="1",
    description=(
        "Everything the pages do, as JSON, through the same services. Authenticate with a "
        "session cookie (plus CSRF token) or `Authorization: Bearer <token>`."
    ),
    auth=[TokenAuth(), session_auth],
    urls_namespace="api",
)
install_error_handlers(api)

from ketaflow.accounts.api import router as accounts_router  # noqa: E402
from ketaflow.audit.api import router as audit_router  # noqa: E402
from ketaflow.patients.api import router as patients_router  # noqa: E402

api.add_router("/accounts", accounts_router)
api.add_router("/patients", patients_router)
api.add_router("/audit", audit_router)
