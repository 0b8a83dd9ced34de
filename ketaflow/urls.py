"""URL map: pages per app, the JSON API under /api/v1/, Django admin under /admin/, and the
probes and metrics (/healthz, /readyz, /metrics: ketaflow/ops)."""

from django.contrib import admin
from django.urls import include, path, re_path

from ketaflow.api import api
from ketaflow.api.errors import no_such_address

urlpatterns = [
    path("", include("ketaflow.web.urls")),
    path("accounts/", include("ketaflow.accounts.urls")),
    path("patients/", include("ketaflow.patients.urls")),
    path("audit/", include("ketaflow.auditlog.urls")),
    path("screening/", include("ketaflow.screening.urls")),
    path("courses/", include("ketaflow.courses.urls")),
    path("treatments/", include("ketaflow.treatments.urls")),
    path("pk/", include("ketaflow.pk_explorer.urls")),
    path("p/", include("ketaflow.portal.urls")),
    path("outcomes/", include("ketaflow.outcomes.urls")),
    path("safety/", include("ketaflow.safety.urls")),
    path("dispensing/", include("ketaflow.dispensing.urls")),
    path("homediary/", include("ketaflow.homediary.urls")),
    path("devices/", include("ketaflow.devices.urls")),
    path("fhir/", include("ketaflow.fhir.urls")),
    path("mail/", include("ketaflow.mail.urls")),
    path("emergency/", include("ketaflow.emergency.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", no_such_address),
    path("admin/", admin.site.urls),
    path("", include("ketaflow.ops.urls")),
]
