from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "core.catalog"
    label = "catalog"
    verbose_name = _("Service catalog")
