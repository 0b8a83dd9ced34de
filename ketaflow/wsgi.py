"""WSGI entry point (gunicorn `ketaflow.wsgi`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.settings")
application = get_wsgi_application()

# SciPy (Kaplan-Meier on the outcomes dashboard) is slow to import: pay that when the web
# process starts, not on a clinician's first dashboard request.
import scipy.stats  # noqa: E402, F401
