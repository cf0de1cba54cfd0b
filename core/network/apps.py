from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "core.network"
    label = "network"
    verbose_name = _("Station network")

    def ready(self):
        from core.network import handlers  # noqa: F401  (registers the message handlers)
