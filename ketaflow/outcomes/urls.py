"""Pages of the outcomes app."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "outcomes"
urlpatterns: list[URLPattern] = []
