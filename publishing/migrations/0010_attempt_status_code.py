# The HTTP status of a network's answer, kept on each attempt from now on; the
# attempts made before keep theirs empty (nothing else changes).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('publishing', '0009_accounts_and_variants_move'),
    ]

    operations = [
        migrations.AddField(
            model_name='attempt',
            name='status_code',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='status code'),
        ),
    ]
