"""Pages of the devices app. Nav: `devices:queue` (CHART_SESSION), `devices:setup`
(MANAGE_DEVICES). The session page shows pending readings via `{% device_readings %}`."""

from django.urls import URLPattern, path

from ketaflow.devices import views

app_name = "devices"
urlpatterns: list[URLPattern] = [
    path("held/", views.queue, name="queue"),
    path("held/<int:pk>/assign/", views.assign, name="assign"),
    path("held/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("readings/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("readings/<int:pk>/reject/", views.reject, name="reject"),
    path("setup/", views.setup, name="setup"),
    path("setup/bind/", views.bind, name="bind"),
    path("setup/bindings/<int:pk>/end/", views.unbind, name="unbind"),
    path("setup/mappings/", views.add_mapping, name="add_mapping"),
    path("setup/mappings/<int:pk>/end/", views.end_mapping, name="end_mapping"),
]
