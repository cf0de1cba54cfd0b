"""A qualification names the catalog items it covers, and its expiry notices go at 90, 30 and 0 days, each once
(issue 20).

- `items`: existing qualifications are taken to cover every item their institution offers (what "who can do X" read
  from the institution alone before), to be narrowed by whoever edits them.
- `expiry_notices` replaces `expiry_notified_at`: a qualification told of before is recorded as told at the threshold
  it was within when the single notice went (`<valid until>:<days>`), so it is not told of that threshold again.
"""

import django.contrib.postgres.fields
from django.db import migrations, models

ITEMS_BACKFILL = """
INSERT INTO directory_qualification_items (qualification_id, serviceitem_id)
SELECT q.id, i.serviceitem_id
FROM directory_qualification q JOIN directory_institution_items i ON i.institution_id = q.institution_id
ON CONFLICT DO NOTHING
"""

# The threshold (90, 30 or 0 days) the certificate was within on the day of its single notice (Asia/Shanghai).
NOTICES_BACKFILL = """
UPDATE directory_qualification
SET expiry_notices = ARRAY[
    valid_until::text || ':' || CASE
        WHEN valid_until - (expiry_notified_at AT TIME ZONE 'Asia/Shanghai')::date <= 0 THEN '0'
        WHEN valid_until - (expiry_notified_at AT TIME ZONE 'Asia/Shanghai')::date <= 30 THEN '30'
        ELSE '90'
    END
]
WHERE expiry_notified_at IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_serviceitem_refuse_delete"),
        ("directory", "0005_pinyin_and_nfkc"),
    ]

    operations = [
        migrations.AddField(
            model_name="qualification",
            name="items",
            field=models.ManyToManyField(
                blank=True,
                related_name="institution_qualifications",
                to="catalog.serviceitem",
                verbose_name="items covered",
            ),
        ),
        migrations.AddField(
            model_name="qualification",
            name="expiry_notices",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=20),
                blank=True,
                default=list,
                size=None,
                verbose_name="expiry notices sent",
            ),
        ),
        migrations.RunSQL(ITEMS_BACKFILL, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(NOTICES_BACKFILL, reverse_sql=migrations.RunSQL.noop),
        migrations.RemoveField(model_name="qualification", name="expiry_notified_at"),
    ]
