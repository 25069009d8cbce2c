from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "zabota.commerce"
    label = "commerce"
