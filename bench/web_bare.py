"""The baseline of `bench_web.py`: a bare Django project with one view that makes one query.

Same Django, same gunicorn and worker count, same database as the Ketaflow pages it is
measured beside, and no middleware, templates or apps of Ketaflow: what the framework and
server alone cost. Used as the settings module *and* the URLconf
(`DJANGO_SETTINGS_MODULE=web_bare`, run with `--pythonpath bench`).
"""

from __future__ import annotations

import os

import dj_database_url
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

SECRET_KEY = "bench-only-not-secret"  # never served outside the benchmark
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES = {
    "default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60),
}
USE_TZ = True


def one_query(request: HttpRequest) -> HttpResponse:
    """One round trip to the same database the pages use."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        (count,) = cursor.fetchone()
    return HttpResponse(f"{count}\n", content_type="text/plain")


urlpatterns = [path("bare/", one_query)]
