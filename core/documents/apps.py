from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "core.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self):
        # Every version of every document is filed in the enterprise's quality archive (clause 7.1).
        from core.documents import archive

        archive.register_all()
