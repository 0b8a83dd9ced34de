from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "ketaflow.safety"
    label = "safety"
    verbose_name = "Long-term safety monitoring"
