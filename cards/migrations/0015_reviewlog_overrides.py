"""ReviewLog.overrides: the review a student's "I was right" replaced (issue 17, item 9).

A nullable, non-unique foreign key: SQLite adds it with ALTER TABLE ADD COLUMN and keeps the
table, so the append-only trigger of 0005 stays (a unique or non-null column would rebuild it)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cards', '0014_mix_new_cards'),
    ]

    operations = [
        migrations.AddField(
            model_name='reviewlog',
            name='overrides',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='overridden_by', to='cards.reviewlog'),
        ),
    ]
