from django.apps import AppConfig


class EmailConfig(AppConfig):
    name = "zabota.channels.email"
    label = "email"
    verbose_name = "Email"
