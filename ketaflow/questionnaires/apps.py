from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "ketaflow.questionnaires"
    label = "questionnaires"
    verbose_name = "Questionnaires and rating scales"
