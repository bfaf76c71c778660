"""The database itself refuses to change the review log (the ORM refuses too).

PostgreSQL: UPDATE and DELETE raise. SQLite: UPDATE raises; DELETE stays possible there
because Django's test flush empties tables with DELETE (PostgreSQL's flush uses TRUNCATE,
which row triggers do not see), and the ORM already refuses deletes and PROTECTs the log
from cascades."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION cards_reviewlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cards_reviewlog is append-only: % refused', TG_OP USING ERRCODE = 'raise_exception';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cards_reviewlog_no_update BEFORE UPDATE ON cards_reviewlog
    FOR EACH ROW EXECUTE FUNCTION cards_reviewlog_append_only();
CREATE TRIGGER cards_reviewlog_no_delete BEFORE DELETE ON cards_reviewlog
    FOR EACH ROW EXECUTE FUNCTION cards_reviewlog_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS cards_reviewlog_no_update ON cards_reviewlog;
DROP TRIGGER IF EXISTS cards_reviewlog_no_delete ON cards_reviewlog;
DROP FUNCTION IF EXISTS cards_reviewlog_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER IF NOT EXISTS cards_reviewlog_no_update BEFORE UPDATE ON cards_reviewlog
BEGIN SELECT RAISE(ABORT, 'cards_reviewlog is append-only: UPDATE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS cards_reviewlog_no_update;"


def install(apps, schema_editor):
    sql = {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    sql = {"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("cards", "0004_protect_review_log")]

    operations = [migrations.RunPython(install, remove)]
