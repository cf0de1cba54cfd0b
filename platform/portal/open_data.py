"""The published stations as open data (JSON and CSV): one row per published station, from its latest publication's
snapshot, with that publication's state and objections and the station's whole publication history (公示异议,
clause 3). The fields are documented on the portal's /open-data/ page from `FIELDS`."""

import csv
import io
import json

from django.utils import timezone

from core.common.spreadsheets import cell_value
from core.evaluation.publication_selectors import PublicationView, publication_view
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
    (
        "publication_state",
        "本次公示的状态：notice 公示中，closing 公示期满、结果待定，final 已生效，withdrawn 因异议成立而撤回",
        "State of this publication: notice (in public notice), closing (notice over, outcome pending), final, "
        "withdrawn (an objection was upheld)",
    ),
    (
        "final_at",
        "本次公示生效时间（北京时间，ISO 8601；未生效为空）",
        "When this publication became final (empty if not)",
    ),
    ("objections_received", "本次公示收到的异议数", "Objections received to this publication"),
    ("objections_upheld", "其中成立的异议数", "Of which upheld"),
    ("objections_dismissed", "其中不成立（驳回）的异议数", "Of which dismissed"),
    ("objections_pending", "其中尚在处理的异议数", "Of which still being handled"),
    (
        "publication_history",
        "历次公示（最新在前）：公示时间、公示期、状态、生效或撤回时间、异议数及已处理异议的结果、理由和日期"
        "（不含异议人信息；CSV 中为 JSON 文本）",
        "Every publication, newest first: when, the notice period, the state, when it became final or was withdrawn, "
        "its objections counted and the handled ones' outcome, reason and dates (never who objected; JSON text in "
        "the CSV)",
    ),
]
FIELD_NAMES = [name for name, _zh, _en in FIELDS]


def _moment(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _optional_moment(value) -> str:
    return _moment(value) if value is not None else ""


def history_entry(view: PublicationView) -> dict:
    """One publication of the history: its dates, state and objections' outcomes, never who objected."""
    publication = view.publication
    return {
        "published_at": _moment(publication.published_at),
        "notice_until": _moment(publication.notice_until),
        "state": view.state,
        "final_at": _optional_moment(view.final_at),
        "withdrawn_at": _optional_moment(view.withdrawn_at),
        "objections": {
            "received": view.received,
            "upheld": view.upheld,
            "dismissed": view.dismissed,
            "pending": view.pending,
        },
        "outcomes": [
            {
                "received_at": _moment(objection.received_at),
                "outcome": objection.state,
                "reason": objection.reason,
                "handled_at": _moment(objection.handled_at),
            }
            for objection in view.handled
        ],
    }


def record(*, publication: StationPublication, url: str, history: list[PublicationView] = ()) -> dict:
    """One station's open-data record from its publication's snapshot, with the publication's state and objections and
    the station's publication history (`history`, newest first)."""
    snapshot = publication.snapshot
    view = next((entry for entry in history if entry.publication.pk == publication.pk), None)
    view = view or publication_view(publication)
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
        "publication_state": view.state,
        "final_at": _optional_moment(view.final_at),
        "objections_received": view.received,
        "objections_upheld": view.upheld,
        "objections_dismissed": view.dismissed,
        "objections_pending": view.pending,
        "publication_history": [history_entry(entry) for entry in history],
    }


def records(stations, url_for) -> list[dict]:
    """The records of the stations that have a publication (`station_list_published_with_publication`, with
    `publications_prefetch()` for the history: without it, a station's history is empty)."""
    now = timezone.now()
    return [
        record(
            publication=station.latest_publications[0],
            url=url_for(station),
            history=[publication_view(p, now=now) for p in getattr(station, "publications_all", [])],
        )
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
        history = json.dumps(row["publication_history"], ensure_ascii=False, separators=(",", ":"))
        flat = row | {"service_items": items, "publication_history": history}
        writer.writerow({name: cell_value(value) for name, value in flat.items()})
    return out.getvalue()
