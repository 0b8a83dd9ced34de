from django.urls import path

from ketaflow.mail import views

app_name = "mail"
urlpatterns = [
    path("failed/", views.failed, name="failed"),
    path("failed/<int:pk>/retry/", views.retry, name="retry"),
]
