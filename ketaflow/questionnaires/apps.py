from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "ketaflow.questionnaires"
    label = "questionnaires"
    verbose_name = "Questionnaires and rating scales"

    def ready(self) -> None:
        """A sent risk-alert email notes whom it reached on its alerts."""
        from ketaflow.mail.services import on_sent
        from ketaflow.questionnaires.alerts import EMAIL_KIND, note_emailed

        on_sent(EMAIL_KIND, note_emailed)
