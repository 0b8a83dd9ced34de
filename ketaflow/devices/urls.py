"""Pages of the devices app."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "devices"
urlpatterns: list[URLPattern] = []
