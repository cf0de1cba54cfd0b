"""Search as Chinese users type (issue 20): every name also kept in pinyin and by its initials, indexed; names and
codes in Unicode NFKC (full-width brackets, letters and digits as their half-width twins).

The existing rows are filled in batches, before the indexes are built (cheaper than maintaining them row by row). A
code or an institution's name whose normal form another entry already holds is left as it is and reported (printed,
and logged as a warning), never a failed migration: someone has to decide which of the two entries is the real one.
"""

import logging
import sys

import django.contrib.postgres.indexes
from django.db import migrations, models

import core.directory.models
from core.common.text import text_nfkc
from core.directory.pinyin import search_names
from core.directory.uscc import compact

logger = logging.getLogger("core.directory")

BATCH = 5000


def _report(message: str) -> None:
    logger.warning(message)
    sys.stdout.write(f"\n  {message}")


def _taken(cursor, table: str, column: str, values: list[str], *, upper: bool = False) -> set[str]:
    if not values:
        return set()
    if upper:
        cursor.execute(f"SELECT upper({column}) FROM {table} WHERE upper({column}) = ANY(%s)", [values])  # noqa: S608
    else:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s)", [values])  # noqa: S608
    return {row[0] for row in cursor.fetchall()}


def _normalise(cursor, table: str, *, unique_uscc: bool, unique_name: bool) -> None:
    """NFKC names and compact codes, pinyin and initials, `BATCH` rows at a time in id order."""
    last = 0
    while True:
        cursor.execute(
            f"SELECT id, name, uscc FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
            [last, BATCH],
        )
        rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        names = {pk: text_nfkc(name).strip() or name for pk, name, _code in rows}
        codes = {pk: compact(code) if code else code for pk, _name, code in rows}
        if unique_uscc:
            changed = [codes[pk] for pk, _name, code in rows if codes[pk] != code]
            taken = _taken(cursor, table, "uscc", changed)
            for pk, name, code in rows:
                if codes[pk] != code and codes[pk] in taken:
                    _report(f"{table} #{pk} {name}: USCC {code!r} kept as it is, {codes[pk]} is another entry's.")
                    codes[pk] = code
                taken.add(codes[pk])
        if unique_name:
            changed = [names[pk].upper() for pk, name, _code in rows if names[pk] != name]
            taken = _taken(cursor, table, "name", changed, upper=True)
            for pk, name, _code in rows:
                if names[pk] != name and names[pk].upper() in taken:
                    _report(f"{table} #{pk}: name {name!r} kept as it is, {names[pk]!r} is another entry's.")
                    names[pk] = name
                taken.add(names[pk].upper())
        pinyin = {pk: search_names(names[pk]) for pk in names}
        ids = [pk for pk, _name, _code in rows]
        cursor.execute(
            f"""
            UPDATE {table} AS t SET name = v.name, uscc = v.uscc, name_pinyin = v.pinyin, name_initials = v.initials
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) AS v(id, name, uscc, pinyin, initials)
            WHERE t.id = v.id
            """,  # noqa: S608  (table names are constants)
            [
                ids,
                [names[pk] for pk in ids],
                [codes[pk] for pk in ids],
                [pinyin[pk][0] for pk in ids],
                [pinyin[pk][1] for pk in ids],
            ],
        )


def normalise_and_fill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        _normalise(cursor, "directory_enterprise", unique_uscc=True, unique_name=False)
        _normalise(cursor, "directory_institution", unique_uscc=False, unique_name=True)


def _field():
    return models.TextField(blank=True, db_default="", default="", editable=False)


def _indexes(model: str) -> list:
    return [
        migrations.AddIndex(
            model_name=model,
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name_pinyin"], name=f"{model}_pinyin_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name=model,
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["name_initials"], name=f"{model}_initials_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name=model,
            index=django.contrib.postgres.indexes.GinIndex(
                core.directory.models.Bigrams("name_initials"), name=f"{model}_initials_bigrams"
            ),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_clean_control_characters")]

    operations = [
        migrations.AddField(model_name="enterprise", name="name_initials", field=_field()),
        migrations.AddField(model_name="enterprise", name="name_pinyin", field=_field()),
        migrations.AddField(model_name="institution", name="name_initials", field=_field()),
        migrations.AddField(model_name="institution", name="name_pinyin", field=_field()),
        migrations.RunPython(normalise_and_fill, migrations.RunPython.noop),
        *_indexes("enterprise"),
        *_indexes("institution"),
    ]
