from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "ketaflow.treatments"
    label = "treatments"
    verbose_name = "Treatment sessions"
    default_auto_field = "django.db.models.BigAutoField"
