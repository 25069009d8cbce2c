from django.db import migrations

from zabota.core.migration_ops import VendorSQL

# Every stored mail is written once and read once or twice: LZ4 compresses it several times
# faster than PostgreSQL's default (pglz), on the path that acknowledges each delivery. Servers
# without LZ4 (built without it, or before PostgreSQL 14) keep the default.
_SET = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings
             WHERE name = 'default_toast_compression' AND '{method}' = ANY(enumvals)) THEN
    ALTER TABLE email_inboundemail ALTER COLUMN raw SET COMPRESSION {method};
  END IF;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("email", "0003_mailbox_imap_claimed_until"),
    ]

    operations = [
        VendorSQL(
            sql={"postgresql": [_SET.format(method="lz4")]},
            reverse_sql={"postgresql": [_SET.format(method="pglz")]},
        ),
    ]
