from django.urls import path

from ketaflow.pk_explorer import views

app_name = "pk_explorer"

urlpatterns = [
    path("", views.explorer, name="explorer"),
]
