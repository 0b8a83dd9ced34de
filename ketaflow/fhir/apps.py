from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "ketaflow.fhir"
    label = "fhir"
    verbose_name = "FHIR R4B exchange"

    def ready(self) -> None:
        """Exports a killed worker left unfinished are queued again by the worker's recovery."""
        from ketaflow.lib.background import register_recovery

        def recover() -> int:
            from ketaflow.fhir.services import recover_stale_jobs

            return recover_stale_jobs()

        register_recovery("fhir exports", recover)
