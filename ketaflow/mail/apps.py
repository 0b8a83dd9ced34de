from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "ketaflow.mail"
    label = "mail"
    verbose_name = "Email outbox"

    def ready(self) -> None:
        """Messages a killed worker left unsent (or due a retry) are queued again by recovery."""
        from ketaflow.lib.background import register_recovery

        def recover() -> int:
            from ketaflow.mail.services import recover_outbox

            return recover_outbox()

        register_recovery("email outbox", recover)
