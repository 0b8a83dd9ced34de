from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "ketaflow.courses"
    label = "courses"
    verbose_name = "Treatment courses"
