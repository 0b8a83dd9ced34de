from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "ketaflow.cli"
    label = "cli"
    verbose_name = "Command line"
