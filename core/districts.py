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


# Administrative division codes (GB/T 2260) of the city and of its county-level divisions: characters 3 to 8 of a
# unified social credit code name the registration authority's division (core.directory.uscc).
CITY_REGION = "211200"
REGION_CODES = {
    District.YINZHOU: "211202",
    District.QINGHE: "211204",
    District.TIELING_COUNTY: "211221",
    District.XIFENG: "211223",
    District.CHANGTU: "211224",
    District.DIAOBINGSHAN: "211281",
    District.KAIYUAN: "211282",
}
