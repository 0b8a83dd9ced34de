"""Patient pages. Chart entry URLs carry the kind's slug from `patients.entries`."""

from django.urls import path

from ketaflow.patients import views

app_name = "patients"
_ENTRY = "<int:pk>/chart/<slug:kind>/<int:entry_pk>"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("register/", views.patient_register, name="register"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/amend/", views.patient_amend, name="amend"),
    path("<int:pk>/chart/", views.chart, name="chart"),
    path("<int:pk>/chart/<slug:kind>/add/", views.entry_add, name="entry_add"),
    path(f"{_ENTRY}/amend/", views.entry_amend, name="entry_amend"),
    path(f"{_ENTRY}/entered-in-error/", views.entry_error, name="entry_error"),
    path(f"{_ENTRY}/history/", views.entry_history, name="entry_history"),
]
