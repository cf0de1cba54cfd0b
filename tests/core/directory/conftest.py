import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Import files are kept in the default storage: each test keeps its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
