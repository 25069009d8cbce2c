from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "zabota.demo"
    label = "demo"
