from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zabota.web"
    label = "web"
