"""Calendar feed tokens are kept as their sha256: existing addresses keep working."""

import hashlib

from django.db import migrations


def hash_tokens(apps, schema_editor):
    CalendarFeed = apps.get_model("publishing", "CalendarFeed")
    for feed in CalendarFeed.objects.all().only("pk", "token_hash"):
        digest = hashlib.sha256(feed.token_hash.encode()).hexdigest()
        CalendarFeed.objects.filter(pk=feed.pk).update(token_hash=digest)


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0007_scheduler_calendar_import"),
    ]

    operations = [
        migrations.RenameField(model_name="calendarfeed", old_name="token", new_name="token_hash"),
        # Forward only: a hash cannot give the address back. Going back, people reset it.
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
    ]
