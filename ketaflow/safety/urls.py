"""Pages of the safety app (mounted at /safety/)."""

from django.urls import URLPattern, path

from ketaflow.safety import views

app_name = "safety"
urlpatterns: list[URLPattern] = [
    path("", views.due_list, name="due"),
    path("patients/<int:pk>/", views.patient_panel, name="patient"),
    path("patients/<int:pk>/labs/new", views.add_labs, name="add_labs"),
    path("patients/<int:pk>/luts/new", views.add_luts, name="add_luts"),
    path("patients/<int:pk>/reviews/new", views.add_review, name="add_review"),
    path("records/<str:kind>/<int:pk>/amend", views.amend_record, name="amend"),
    path("records/<str:kind>/<int:pk>/error", views.record_error, name="error"),
]
