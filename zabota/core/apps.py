from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zabota.core"
    label = "core"

    def ready(self) -> None:
        # The task queue's Redis client is made once per process (rq_connection).
        from zabota.core import rq_connection

        rq_connection.install()
