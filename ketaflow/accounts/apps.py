from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ketaflow.accounts"
    label = "accounts"
    verbose_name = "Accounts"
