from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "ketaflow.treatments"
    label = "treatments"
    verbose_name = "Treatment sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Booking and check-in (courses, a layer below) ask these gates: see courses/gates.py.
        from ketaflow.treatments.course_gates import register

        register()
