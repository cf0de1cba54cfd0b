import django.contrib.postgres.indexes
from django.db import migrations, models

import core.directory.models
import core.directory.uscc

# Pairs of adjacent characters (GIN drops the repeats). IMMUTABLE so that an index may be built over it; '{}' for
# names of one character, so that they are indexed (and never match a two-character fragment).
BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION directory_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT coalesce(array_agg(substr(t, i, 2)), '{}') FROM generate_series(1, char_length(t) - 1) AS i $$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_drop_duplicate_uscc_prefix_index"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="enterprise",
            name="uscc",
            field=models.CharField(
                db_collation="C",
                max_length=18,
                unique=True,
                validators=[core.directory.uscc.validate_uscc],
                verbose_name="unified social credit code",
            ),
        ),
        # Django's varchar_pattern_ops twin of the unique index is not needed once the column's collation is C.
        migrations.RunSQL(
            "DROP INDEX IF EXISTS directory_enterprise_uscc_fff2f6b6_like",
            reverse_sql="CREATE INDEX directory_enterprise_uscc_fff2f6b6_like "
            "ON directory_enterprise (uscc varchar_pattern_ops)",
        ),
        migrations.RunSQL(BIGRAMS_FUNCTION, reverse_sql="DROP FUNCTION directory_bigrams(text)"),
        migrations.AddIndex(
            model_name="enterprise",
            index=django.contrib.postgres.indexes.GinIndex(
                core.directory.models.Bigrams("name"), name="enterprise_name_bigrams"
            ),
        ),
        migrations.AddIndex(
            model_name="institution",
            index=django.contrib.postgres.indexes.GinIndex(
                core.directory.models.Bigrams("name"), name="institution_name_bigrams"
            ),
        ),
        migrations.AddIndex(
            model_name="enterprise",
            index=models.Index(fields=["name", "id"], name="enterprise_name"),
        ),
        # The planner's choice between an index and a scan that stops early rests on its estimate of how many names
        # contain a fragment; a finer histogram of names makes that estimate better.
        migrations.RunSQL(
            "ALTER TABLE directory_enterprise ALTER COLUMN name SET STATISTICS 1000",
            reverse_sql="ALTER TABLE directory_enterprise ALTER COLUMN name SET STATISTICS -1",
        ),
    ]
