from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "ketaflow.devices"
    label = "devices"
    verbose_name = "Bedside monitor feeds (HL7 v2)"
