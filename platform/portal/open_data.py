"""The published stations as open data (JSON and CSV): one row per published station, from its latest publication's
snapshot. The fields are documented on the portal's /open-data/ page from `FIELDS`."""

import csv
import io

from django.utils import timezone

from core.common.spreadsheets import cell_value
from tenants.models import StationPublication

# Between the items of `service_items` in the CSV (in JSON it is a list of {"clause", "name"}).
ITEM_SEPARATOR = "；"

# (field, meaning in Chinese, meaning in English), in the order of the CSV's columns and of each JSON record's keys.
FIELDS: list[tuple[str, str, str]] = [
    ("code", "站点代码（也是站点网址的主机名）", "Station code (also the station's host name)"),
    ("name", "站点名称", "Name of the station"),
    ("district_code", "所在区县代码", "Code of the district the station is in"),
    ("district", "所在区县", "District the station is in"),
    ("address", "地址", "Address"),
    ("hours", "服务时间", "Opening hours"),
    ("service_phone", "服务电话", "Service phone"),
    ("complaint_phone", "投诉电话（站点的投诉监督渠道）", "Complaint phone (the station's complaint channel)"),
    (
        "supervision_phone",
        "市场监督管理局监督电话",
        "Supervision phone of the market-regulation bureau",
    ),
    (
        "service_items",
        "服务项目：条款号与名称（CSV 中以“；”分隔，JSON 中为列表）",
        "Service items: clause and name (separated by “；” in the CSV, a list in JSON)",
    ),
    ("founding_body", "设立单位", "Founding body"),
    ("published_at", "公示时间（北京时间，ISO 8601）", "When it was published (Beijing time, ISO 8601)"),
    (
        "notice_until",
        "公示期截止时间（北京时间，ISO 8601）",
        "End of the public notice period (Beijing time, ISO 8601)",
    ),
    ("url", "门户网站上的站点页面", "The station's page on the public portal"),
]
FIELD_NAMES = [name for name, _zh, _en in FIELDS]


def _moment(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def record(*, publication: StationPublication, url: str) -> dict:
    """One station's open-data record from its publication's snapshot."""
    snapshot = publication.snapshot
    return {
        "code": snapshot["code"],
        "name": snapshot["name"],
        "district_code": snapshot["district"]["code"],
        "district": snapshot["district"]["label"],
        "address": snapshot["address"],
        "hours": snapshot["hours"],
        "service_phone": snapshot["service_phone"],
        "complaint_phone": snapshot["supervision_channels"]["complaint_phone"],
        "supervision_phone": snapshot["supervision_channels"]["bureau_supervision_phone"],
        "service_items": [{"clause": item["clause"], "name": item["name"]} for item in snapshot["items"]],
        "founding_body": snapshot["founding_body"],
        "published_at": _moment(publication.published_at),
        "notice_until": _moment(publication.notice_until),
        "url": url,
    }


def records(stations, url_for) -> list[dict]:
    """The records of the stations that have a publication (`station_list_published_with_publication`)."""
    return [
        record(publication=station.latest_publications[0], url=url_for(station))
        for station in stations
        if station.latest_publications
    ]


def to_csv(rows: list[dict]) -> str:
    """The records as CSV text, starting with a byte-order mark so that Excel reads the Chinese as UTF-8; every cell
    made inert like every export's (`cell_value`: no text is read as a formula)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=FIELD_NAMES, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        items = ITEM_SEPARATOR.join(f"{i['clause']} {i['name']}" for i in row["service_items"])
        writer.writerow({name: cell_value(value) for name, value in (row | {"service_items": items}).items()})
    return out.getvalue()
