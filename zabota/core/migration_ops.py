"""Migration operations whose SQL differs per database vendor (search indexes)."""

from typing import Any

from django.db.migrations.operations.base import Operation


class VendorSQL(Operation):
    """Run ``sql[vendor]`` forwards, ``reverse_sql[vendor]`` backwards; other vendors: nothing."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, sql: dict[str, list[str]], reverse_sql: dict[str, list[str]]) -> None:
        self.sql = sql
        self.reverse_sql = reverse_sql

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {"sql": self.sql, "reverse_sql": self.reverse_sql})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _run(self, statements: dict[str, list[str]], schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._run(self.sql, schema_editor)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._run(self.reverse_sql, schema_editor)

    def describe(self) -> str:
        return "Vendor-specific SQL"
