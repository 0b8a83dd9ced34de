from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ketaflow.ops"
    label = "ops"
    verbose_name = "Operations (heartbeats, readiness, metrics)"

    def ready(self) -> None:
        from ketaflow.accounts import backends
        from ketaflow.ops import freshness  # watches every database connection

        backends.memoise_with(freshness.memo)  # the signed-in user's row, on the change stamp
