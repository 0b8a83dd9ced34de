from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ketaflow.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from ketaflow.audit import signals  # noqa: F401  (sign-in events)
