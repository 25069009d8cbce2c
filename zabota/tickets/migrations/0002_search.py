from django.db import migrations

from zabota.core.migration_ops import VendorSQL

FTS = "tokenize = 'unicode61 remove_diacritics 2'"


def fts5(table: str, column: str) -> list[str]:
    """An external-content FTS5 table over table.column, kept in sync by triggers."""
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', content_rowid='id', {FTS})",
        f"INSERT INTO {fts}(rowid, {column}) SELECT id, {column} FROM {table}",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
        f"INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column}); END",
    ]


def drop_fts5(table: str) -> list[str]:
    fts = f"{table}_fts"
    return [f"DROP TRIGGER IF EXISTS {fts}_{s}" for s in ("ai", "ad", "au")] + [
        f"DROP TABLE IF EXISTS {fts}"
    ]


def gin(name: str, table: str, column: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (to_tsvector('simple', {column}))"


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("customers", "0001_initial"),
    ]

    operations = [
        VendorSQL(
            sql={
                "sqlite": [
                    *fts5("tickets_ticket", "subject"),
                    *fts5("tickets_message", "body_text"),
                    *fts5("customers_customer", "display_name"),
                ],
                "postgresql": [
                    gin("ticket_subject_fts", "tickets_ticket", "subject"),
                    gin("message_body_fts", "tickets_message", "body_text"),
                    gin("customer_name_fts", "customers_customer", "display_name"),
                ],
            },
            reverse_sql={
                "sqlite": [
                    *drop_fts5("tickets_ticket"),
                    *drop_fts5("tickets_message"),
                    *drop_fts5("customers_customer"),
                ],
                "postgresql": [
                    "DROP INDEX IF EXISTS ticket_subject_fts",
                    "DROP INDEX IF EXISTS message_body_fts",
                    "DROP INDEX IF EXISTS customer_name_fts",
                ],
            },
        ),
    ]
