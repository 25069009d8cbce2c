from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("email", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundemail",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="next attempt"),
        ),
    ]
