"""Staff pages of the home dose diary (the patient's own pages are the portal's, /p/q/...)."""

from django.urls import URLPattern, path

from ketaflow.homediary import views

app_name = "homediary"

urlpatterns: list[URLPattern] = [
    path("patients/<int:patient_pk>/", views.diary, name="diary"),
    path("entries/<int:pk>/acknowledge/", views.acknowledge_entry, name="acknowledge_entry"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
]
