"""Pages of the outcomes app.

Link a patient's outcomes with `{% url 'outcomes:patient' patient.pk %}` (clinical staff) and
the clinic dashboard with `outcomes:dashboard` (clinical staff identified; researchers and
clinic admins de-identified).
"""

from django.urls import path

from ketaflow.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.research_export, name="export"),
    path("patient/<int:patient_pk>/", views.patient, name="patient"),
    path("patient/<int:patient_pk>/report/", views.patient_report, name="report"),
    path("reports/<int:report_id>/", views.report_status, name="report_status"),
    path("reports/<int:report_id>/download/", views.report_download, name="report_download"),
]
