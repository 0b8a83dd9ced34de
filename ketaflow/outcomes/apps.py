from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ketaflow.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes and measurement-based care"

    def ready(self) -> None:
        """Keep `CourseOutcome` current without editing the apps that own the records."""
        from ketaflow.outcomes import signals

        signals.connect()
