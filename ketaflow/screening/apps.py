from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "ketaflow.screening"
    label = "screening"
    verbose_name = "Screening and consent"

    def ready(self) -> None:
        # Booking and check-in (courses, a layer below) ask these gates: see courses/gates.py.
        from ketaflow.screening.course_gates import register

        register()
