"""The numbers and alt text lines of the network versions, now in `Variant.media` (0006)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0006_variant_media"),
    ]

    operations = [
        migrations.RemoveField(model_name="variant", name="alt_texts"),
        migrations.RemoveField(model_name="variant", name="image_numbers"),
    ]
