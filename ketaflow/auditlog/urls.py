from django.urls import path

from ketaflow.auditlog import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("patients/<int:patient_id>/", views.patient_log, name="patient"),
]
