from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic demo clinic: `seed-demo`, `demo-banner` and what they seed.

    The top layer: it imports the apps' services to build a clinic a newcomer can try, and
    nothing imports it.
    """

    name = "ketaflow.demo"
    label = "demo"
    verbose_name = "Demo clinic"
