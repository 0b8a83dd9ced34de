from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "ketaflow.backup"
    label = "backup"
    verbose_name = "Backup and restore"
