"""The JSON API root (django-ninja) at /api/v1/: each app adds its router here.

The schema is at /api/v1/openapi.json and the interactive docs at /api/v1/docs: ninja's own
Swagger page. With "ninja" in INSTALLED_APPS it loads Swagger UI from ninja's static files
(served like every static file, by WhiteNoise), never from a CDN, so it works on a clinic
network without internet access; it sends the CSRF token because the session auth asks for
it (`csrf = True`).
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from ketaflow.api.auth import TokenAuth, session_auth
from ketaflow.api.errors import document_errors, install_error_handlers


class KetaflowAPI(NinjaAPI):
    """ninja's API, whose OpenAPI document also lists the uniform errors of every operation."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_errors(schema)
        return schema


api = KetaflowAPI(
    title="Ketaflow API",
    version="1",
    description=(
        "Everything the pages do, as JSON, through the same services. Authenticate with a "
        "session cookie (plus the `X-CSRFToken` header on writes) or "
        "`Authorization: Bearer <token>` (issue one at `POST /api/v1/accounts/tokens`).\n\n"
        'Every error has the body `{"detail": [{"loc": [...], "msg": "...", '
        '"type": "..."}]}`: 401 not authenticated, 403 your role may not, 404 not found in '
        "your clinic, 409 conflict, 422 invalid input (`loc` names the field)."
    ),
    auth=[TokenAuth(), session_auth],
    urls_namespace="api",
)
install_error_handlers(api)


from ketaflow.accounts.api import router as accounts_router  # noqa: E402
from ketaflow.auditlog.api import router as audit_router  # noqa: E402
from ketaflow.patients.api import router as patients_router  # noqa: E402

api.add_router("/accounts", accounts_router)
api.add_router("/patients", patients_router)
api.add_router("/audit", audit_router)

from ketaflow.courses.api import router as courses_router  # noqa: E402
from ketaflow.screening.api import router as screening_router  # noqa: E402

api.add_router("/screening", screening_router)
api.add_router("/courses", courses_router)

from ketaflow.treatments.api import router as treatments_router  # noqa: E402

api.add_router("/treatments", treatments_router)

from ketaflow.dispensing.api import router as dispensing_router  # noqa: E402

api.add_router("/dispensing", dispensing_router)

from ketaflow.devices.api import router as devices_router  # noqa: E402
from ketaflow.emergency.api import router as emergency_router  # noqa: E402
from ketaflow.fhir.api import router as fhir_router  # noqa: E402
from ketaflow.homediary.api import router as homediary_router  # noqa: E402
from ketaflow.outcomes.api import router as outcomes_router  # noqa: E402
from ketaflow.portal.api import router as portal_router  # noqa: E402
from ketaflow.safety.api import router as safety_router  # noqa: E402

api.add_router("/portal", portal_router)
api.add_router("/outcomes", outcomes_router)
api.add_router("/safety", safety_router)
api.add_router("/homediary", homediary_router)
api.add_router("/devices", devices_router)
api.add_router("/fhir", fhir_router)
api.add_router("/emergency", emergency_router)
