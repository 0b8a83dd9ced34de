"""Course pages. Link from the patient page with `courses:patient_courses`."""

from django.urls import path

from ketaflow.courses import views, views_setup

app_name = "courses"
urlpatterns = [
    path("schedule/", views.schedule, name="schedule"),
    path("patient/<int:patient_pk>/", views.patient_courses, name="patient_courses"),
    path("patient/<int:patient_pk>/start/", views.course_start, name="start"),
    path("patient/<int:patient_pk>/feed/", views.patient_feed, name="patient_feed"),
    path("<int:pk>/", views.course_detail, name="course"),
    path("<int:pk>/phase/", views.course_phase, name="phase"),
    path("<int:pk>/decisions/", views.course_decision, name="decision"),
    path("<int:pk>/book/", views.book, name="book"),
    path("<int:pk>/book-series/", views.book_series, name="book_series"),
    path("appointments/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("appointments/<int:pk>/status/", views.appointment_status, name="status"),
    path("appointments/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("feeds/<str:token>.ics", views.feed, name="feed"),
    path("feeds/<int:pk>/revoke/", views.feed_revoke, name="feed_revoke"),
    path("protocols/", views_setup.protocol_list, name="protocols"),
    path("protocols/adopt/", views_setup.protocol_adopt, name="protocols_adopt"),
    path("protocols/<int:pk>/", views_setup.protocol_detail, name="protocol"),
    path("protocols/<int:pk>/revise/", views_setup.protocol_revise, name="protocol_revise"),
    path("setup/", views_setup.setup, name="setup"),
    path("setup/chairs/add/", views_setup.chair_add, name="chair_add"),
    path("setup/chairs/<int:pk>/", views_setup.chair_edit, name="chair_edit"),
    path("setup/chairs/<int:pk>/feed/", views_setup.chair_feed, name="chair_feed"),
    path("setup/hours/", views_setup.hours, name="hours"),
    path("setup/closed/add/", views_setup.closed_add, name="closed_add"),
    path("setup/closed/<int:pk>/reopen/", views_setup.closed_reopen, name="closed_reopen"),
    path("setup/extra/add/", views_setup.extra_add, name="extra_add"),
    path("setup/extra/<int:pk>/withdraw/", views_setup.extra_withdraw, name="extra_withdraw"),
]
