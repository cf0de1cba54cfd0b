"""The county-level divisions of Tieling (铁岭市), which stations and enterprises are located in."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.TextChoices):
    YINZHOU = "yinzhou", _("Yinzhou District")
    QINGHE = "qinghe", _("Qinghe District")
    TIELING_COUNTY = "tieling_county", _("Tieling County")
    XIFENG = "xifeng", _("Xifeng County")
    CHANGTU = "changtu", _("Changtu County")
    DIAOBINGSHAN = "diaobingshan", _("Diaobingshan City")
    KAIYUAN = "kaiyuan", _("Kaiyuan City")
