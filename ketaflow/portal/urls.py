"""Pages of the portal app.

Patient pages live under /p/q/<token>/ (no sign-in: the secret link is the key; the staff
sign-in middleware leaves this prefix alone). Staff pages live under /p/staff/ and need a
staff sign-in like every other staff page.
"""

from django.urls import URLPattern, path

from ketaflow.portal import views, views_diary, views_staff

app_name = "portal"
PATIENT_PREFIX = "q/"

urlpatterns: list[URLPattern] = [
    path("q/<str:token>/", views.home, name="home"),
    path("q/<str:token>/form/<slug:code>/", views.form, name="form"),
    path("q/<str:token>/help/", views.help_now, name="help"),
    path("q/<str:token>/diary/", views_diary.diary, name="diary"),
    path("q/<str:token>/something-wrong/", views_diary.something_wrong, name="something_wrong"),
    path("q/<str:token>/who-saw-my-record/", views.access_report, name="access_report"),
    path("q/<str:token>/learn/", views.learn, name="learn"),
    path("q/<str:token>/learn/<slug:slug>/", views.learn, name="learn_topic"),
    path("staff/", views_staff.overview, name="overview"),
    path("staff/alerts/", views_staff.alerts, name="alerts"),
    path("staff/alerts/<int:pk>/", views_staff.alert, name="alert"),
    path(
        "staff/sessions/<int:session_pk>/risk-assessment/",
        views_staff.risk_assessment,
        name="risk_assessment",
    ),
    path("staff/patients/<int:patient_pk>/links/", views_staff.links, name="links"),
    path("staff/links/<int:pk>/revoke/", views_staff.link_revoke, name="link_revoke"),
    path("staff/rules/", views_staff.rules, name="rules"),
    path("staff/rules/<int:pk>/retire/", views_staff.rule_retire, name="rule_retire"),
    path("staff/crisis/", views_staff.crisis, name="crisis"),
]
