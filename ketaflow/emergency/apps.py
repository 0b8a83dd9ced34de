from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "ketaflow.emergency"
    label = "emergency"
    verbose_name = "Emergency access (break-glass)"
