"""Probes and metrics, mounted at the site's root by ketaflow/urls.py."""

from django.urls import path

from ketaflow.ops import views

app_name = "ops"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
]
