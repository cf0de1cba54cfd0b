from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationsConfig(AppConfig):
    name = "core.escalations"
    label = "escalations"
    verbose_name = _("Complaint escalations")

    def ready(self):
        from core.escalations import handlers  # noqa: F401  (registers the message handlers)
