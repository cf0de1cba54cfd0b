from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "core.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # The deliveries' lists name a notification's e-mail or SMS by its kind's label.
        from core.deliveries.models import delivery_kind_register
        from core.notifications.kinds import KINDS

        for kind in KINDS.values():
            delivery_kind_register(kind.code, kind.label)
