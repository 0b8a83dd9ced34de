from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ketaflow.web"
    label = "web"
    verbose_name = "Web"
