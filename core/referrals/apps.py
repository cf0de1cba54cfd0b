from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "core.referrals"
    label = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        from core.referrals import handlers  # noqa: F401  (registers the message handlers)
