"""The audit trail cannot be altered (GB/T 22239-2019 安全审计; the Cybersecurity Law, art. 21, asks six months of
logs): the trigger refuses every UPDATE, a TRUNCATE, and the DELETE of an entry younger than 183 days, whatever code or
person tries. The pruning task (`audit_prune`) deletes only entries past the configured retention, which the settings
never allow below that floor."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < now() - interval '183 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: entries are never changed, nor deleted before 183 days'
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: it is never truncated' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER audit_auditentry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_auditentry_no_truncate BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
"""

REVERSE = """
DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_refuse_change();
DROP FUNCTION IF EXISTS audit_refuse_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTION, reverse_sql=REVERSE)]
