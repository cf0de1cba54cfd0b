"""The models and their migrations agree: a model change without its migration fails the suite (issue 17), the way
`makemigrations --check` fails CI elsewhere. Applied migrations are never rewritten or squashed."""

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(
            f"models changed without a migration (makemigrations --check, exit {exit_.code}):\n{out.getvalue()}"
        )
