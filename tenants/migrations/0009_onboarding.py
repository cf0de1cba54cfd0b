from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tenants", "0008_user_notifications_unread")]

    operations = [
        migrations.CreateModel(
            name="TemplateDump",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("template_state", models.CharField(max_length=64, unique=True, verbose_name="template state")),
                ("sql", models.TextField(verbose_name="SQL")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
            ],
            options={"verbose_name": "template dump", "verbose_name_plural": "template dumps"},
        ),
    ]
