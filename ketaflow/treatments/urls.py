"""Session pages. Nav: `treatments:board`. Patient page: a session at `treatments:session`."""

from django.urls import path

from ketaflow.treatments import views

app_name = "treatments"
urlpatterns = [
    path("board/", views.board, name="board"),
    path("check-in/<int:appointment_pk>/", views.check_in, name="check_in"),
    path("<int:pk>/", views.session_page, name="session"),
    path("<int:pk>/instructions/", views.instructions, name="instructions"),
    path("<int:pk>/do/<str:action>/", views.act, name="act"),
]
