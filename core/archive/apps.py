from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "core.archive"
    label = "archive"
    verbose_name = _("Quality archive")

    def ready(self):
        # The desk's documents, then complaints and supervision opinions, as the archive's sources.
        from core.archive import complaint_sources, desk_sources

        desk_sources.register_all()
        complaint_sources.register_all()  # complaints and opinions linked to a case; neither app imports the archive
