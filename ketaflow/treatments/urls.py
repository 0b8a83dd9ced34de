"""Session pages. Nav: `treatments:board`. Patient page: a session at `treatments:session`."""

from django.urls import path

from ketaflow.treatments import views, views_rems

app_name = "treatments"
urlpatterns = [
    path("board/", views.board, name="board"),
    path("check-in/<int:appointment_pk>/", views.check_in, name="check_in"),
    path("<int:pk>/", views.session_page, name="session"),
    path("<int:pk>/instructions/", views.instructions, name="instructions"),
    path("<int:pk>/do/<str:action>/", views.act, name="act"),
    path("<int:pk>/scales/<slug:code>/", views.record_scale, name="scale"),
    path(
        "<int:pk>/pre-session-questionnaire/",
        views.pre_session_questionnaire,
        name="pre_session_questionnaire",
    ),
    path("rems/due/", views_rems.rems_due, name="rems_due"),
    path("<int:pk>/rems/", views_rems.rems_form, name="rems_form"),
    path("<int:pk>/rems.pdf", views_rems.rems_pdf, name="rems_pdf"),
    path("<int:pk>/rems/submitted/", views_rems.rems_submitted, name="rems_submitted"),
]
