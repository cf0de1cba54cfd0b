from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "core.directory"
    label = "directory"
    verbose_name = _("Enterprise directory and institution registry")
