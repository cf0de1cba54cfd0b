from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Stations and members")

    def ready(self) -> None:
        from tenants.migration_recorder import recorder_by_name_install

        recorder_by_name_install()
