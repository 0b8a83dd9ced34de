from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ketaflow.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes and measurement-based care"

    def ready(self) -> None:
        """Refresh `CourseOutcome` after the services below say a course or patient changed."""
        from ketaflow.lib import derived
        from ketaflow.outcomes.services import queue_refresh

        derived.listen(queue_refresh)

        from ketaflow.lib.background import register_recovery

        def recover() -> int:  # reports a killed worker left unrendered are queued again
            from ketaflow.outcomes.report_files import recover_stale_reports

            return recover_stale_reports()

        register_recovery("outcome reports", recover)
