from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "zabota.customers"
    label = "customers"
