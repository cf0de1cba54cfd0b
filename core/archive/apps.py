from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "core.archive"
    label = "archive"
    verbose_name = _("Quality archive")

    def ready(self):
        # The desk's documents are the archive's first sources; other apps register theirs in their own ready().
        from core.archive import desk_sources

        desk_sources.register_all()
