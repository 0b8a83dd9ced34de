from django.apps import AppConfig


class SyntheticConfig(AppConfig):
    name = "ketaflow.synthetic"
    label = "synthetic"
    verbose_name = "Synthetic histories"

    def ready(self) -> None:
        """Loads a killed worker left unfinished are queued again by the worker's recovery."""
        from ketaflow.lib.background import register_recovery

        def recover() -> int:
            from ketaflow.synthetic.jobs import recover_stale_jobs

            return recover_stale_jobs()

        register_recovery("synthetic loads", recover)
