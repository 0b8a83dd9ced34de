"""WSGI entry point (gunicorn `ketaflow.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.settings")
application = get_wsgi_application()

# lifelines (Kaplan-Meier on the outcomes dashboard) takes seconds to import: pay that when
# the web process starts, not on a clinician's first dashboard request.
import lifelines  # noqa: E402, F401
