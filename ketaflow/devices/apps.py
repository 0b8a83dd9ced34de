from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "ketaflow.devices"
    label = "devices"
    verbose_name = "Bedside monitor feeds (HL7 v2)"

    def ready(self) -> None:
        from ketaflow.devices import metrics

        metrics.register()  # HL7 series on /metrics
