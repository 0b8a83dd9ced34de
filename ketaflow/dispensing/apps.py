from django.apps import AppConfig


class DispensingConfig(AppConfig):
    name = "ketaflow.dispensing"
    label = "dispensing"
    verbose_name = "Take-home supply and the controlled-substance stock"
