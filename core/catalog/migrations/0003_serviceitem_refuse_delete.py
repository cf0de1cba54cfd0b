"""Catalog items are retired, never deleted: PostgreSQL refuses any DELETE on the item table, whoever issues it.

Created after the data (0002) so that `migrate catalog zero` drops the trigger before it unloads the data.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION catalog_serviceitem_refuse_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'catalog items are retired, never deleted (clause %)', OLD.clause
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER catalog_serviceitem_refuse_delete
    BEFORE DELETE ON catalog_serviceitem
    FOR EACH ROW EXECUTE FUNCTION catalog_serviceitem_refuse_delete();
"""

DROP = """
DROP TRIGGER IF EXISTS catalog_serviceitem_refuse_delete ON catalog_serviceitem;
DROP FUNCTION IF EXISTS catalog_serviceitem_refuse_delete();
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_catalog_data")]

    operations = [migrations.RunSQL(CREATE, DROP)]
