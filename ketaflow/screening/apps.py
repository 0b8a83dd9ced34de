from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "ketaflow.screening"
    label = "screening"
    verbose_name = "Screening and consent"
