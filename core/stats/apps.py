from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "core.stats"
    label = "stats"
    verbose_name = _("City statistics")

    def ready(self):
        from core.stats import handlers  # noqa: F401  (registers the message handlers)
