"""Refused callback input: one translated message per offending field, for forms and APIs."""


class CallbackError(ValueError):
    """``errors`` maps a field name ("phone", "window_end", "outcome" …) to a translated
    message; a form shows each beside its field, the API returns them as they are."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
