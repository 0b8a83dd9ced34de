from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ketaflow.ops"
    label = "ops"
    verbose_name = "Operations (heartbeats, readiness, metrics)"

    def ready(self) -> None:
        from ketaflow.ops import freshness  # noqa: F401  (watches every database connection)
