"""The JSON API root (django-ninja) at /api/v1/: each app adds its router here.

The schema is at /api/v1/openapi.json and the interactive docs at /api/v1/docs. The docs
page loads Swagger UI from the copy shipped inside django-ninja (served below), not from a
CDN, so it works on a clinic network without internet access.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from ketaflow.api.auth import TokenAuth, session_auth
from ketaflow.api.errors import install_error_handlers

_NINJA_STATIC = Path(ninja.__file__).parent / "static" / "ninja"
_DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}


class LocalSwagger(Swagger):
    """Swagger UI from django-ninja's bundled files, whether or not ninja is an installed app."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        assets = reverse(f"{api.urls_namespace}:docs_asset", kwargs={"name": "-"})[:-1]
        config = escape(json.dumps(self.settings))
        html = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{escape(api.title)}</title>
  <link rel="icon" href="{assets}favicon.png">
  <link rel="stylesheet" href="{assets}swagger-ui.css">
</head>
<body data-csrf-token="{escape(get_token(request))}" data-api-csrf="true">
  <script type="application/json" id="swagger-settings">{config}</script>
  <div id="swagger-ui"></div>
  <script src="{assets}swagger-ui-bundle.js"></script>
  <script src="{assets}swagger-ui-init.js"></script>
</body>
</html>"""
        return HttpResponse(html)


api = NinjaAPI(
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
    docs=LocalSwagger(),
)
install_error_handlers(api)


@api.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs_asset")
def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in _DOCS_ASSETS:
        raise Http404("No such file.")
    response = FileResponse((_NINJA_STATIC / name).open("rb"), content_type=_DOCS_ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


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

from ketaflow.devices.api import router as devices_router  # noqa: E402
from ketaflow.fhir.api import router as fhir_router  # noqa: E402
from ketaflow.outcomes.api import router as outcomes_router  # noqa: E402
from ketaflow.portal.api import router as portal_router  # noqa: E402
from ketaflow.safety.api import router as safety_router  # noqa: E402

api.add_router("/portal", portal_router)
api.add_router("/outcomes", outcomes_router)
api.add_router("/safety", safety_router)
api.add_router("/devices", devices_router)
api.add_router("/fhir", fhir_router)
