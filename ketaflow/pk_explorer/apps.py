from django.apps import AppConfig


class PkExplorerConfig(AppConfig):
    name = "ketaflow.pk_explorer"
    label = "pk_explorer"
    verbose_name = "PK explorer"
