from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "ketaflow.scheduler"
    label = "scheduler"
    verbose_name = "Scheduler (periodic jobs)"
