from typing import Any

from django.db import models


class DomainError(Exception):
    """A refused operation: a stable ``code`` (TextChoices value, its label the message template)
    and the parameters that fill the message. API and UI show ``code`` and ``message``."""

    def __init__(self, code: models.TextChoices, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        label = str(self.code.label)
        return label % self.params if self.params else label
