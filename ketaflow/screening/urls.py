from django.urls import path

from ketaflow.screening import views

app_name = "screening"
urlpatterns = [
    path("patients/<int:pk>/", views.patient_screening, name="patient"),
    path("patients/<int:pk>/reviews/open/", views.open_review, name="open_review"),
    path("patients/<int:pk>/reviews/<int:review_pk>/", views.review_detail, name="review"),
    path("patients/<int:pk>/reviews/<int:review_pk>/sign/", views.sign_review, name="sign_review"),
    path("patients/<int:pk>/scales/<slug:code>/", views.record_scale, name="record_scale"),
    path("patients/<int:pk>/clearance/add/", views.record_observation, name="record_observation"),
    path(
        "patients/<int:pk>/clearance/<int:observation_pk>/entered-in-error/",
        views.observation_error,
        name="observation_error",
    ),
    path("patients/<int:pk>/consent/", views.consent, name="consent"),
    path(
        "patients/<int:pk>/consent/<int:signature_pk>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("consent-documents/", views.documents, name="documents"),
    path("consent-documents/publish/", views.publish_document, name="publish_document"),
    path("consent-documents/<int:document_pk>/", views.document_detail, name="document"),
]
