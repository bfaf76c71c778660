"""The review log's single-column user and card indexes go: reviewlog_user_time and
reviewlog_card_time lead with the same columns.

Dropped by name rather than by AlterField: on SQLite AlterField rebuilds the table, which
would drop the append-only triggers of 0005 with it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = {"cards_reviewlog_user_id_4b064ecd": "user_id", "cards_reviewlog_card_id_e4f25533": "card_id"}


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0007_queue_indexes_cover_counts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"', f'CREATE INDEX "{name}" ON "cards_reviewlog" ("{column}")'
                )
                for name, column in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="reviewlog",
                    name="card",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="logs",
                        to="cards.card",
                    ),
                ),
                migrations.AlterField(
                    model_name="reviewlog",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="review_logs",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        )
    ]
