"""Pages of the fhir app: the whole-clinic export (clinic admins)."""

from django.urls import URLPattern, path

from ketaflow.fhir import views

app_name = "fhir"
urlpatterns: list[URLPattern] = [
    path("exports/", views.exports, name="exports"),
    path("exports/start/", views.start, name="export_start"),
    path("exports/<int:job_id>/", views.status, name="export_status"),
    path("exports/<int:job_id>/download/", views.download, name="export_download"),
]
