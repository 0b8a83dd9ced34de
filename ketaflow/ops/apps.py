from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ketaflow.ops"
    label = "ops"
    verbose_name = "Operations (heartbeats, readiness, metrics)"
