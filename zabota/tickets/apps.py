from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "zabota.tickets"
    label = "tickets"
