from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "core.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self):
        from core.complaints import handlers  # noqa: F401  (registers the message handlers)
