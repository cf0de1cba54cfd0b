"""The journey suite: every role's work, end to end, in Debian's Chromium, through the pages only.

A journey signs in and clicks, types and reads as its user would: no API shortcut, no service call, no ORM in
between. It runs on a **fresh demo city** of its own: a database made for this run (`<name>_journeys_<run>`),
migrated and loaded with `manage.py load_demo_city` exactly as `make demo` loads it, served by gunicorn with a Celery
worker on a queue of its own, e-mails written to files (the enterprise reads its survey link there). Nothing of the
rest of the suite's test database is touched, and the database is dropped afterwards.

Every step saves a full-page screenshot under `var/journeys/<journey>/<NN>-<step>.png` (kept after the run, for a
person to look at) and is checked there and then:
- axe-core (`axe-playwright-python`): no critical or serious accessibility violation;
- layout: nothing wider than the window (no table cut off), no cell squeezed to a character per line.

The journeys of one run share one city, in file order (`test_1_…` to `test_5_…`): the bureau's statistics are read
before the first journey and compared after the last.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from django.conf import settings
from psycopg2 import sql

from tests.processes import REPO_ROOT, free_port, running, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
PASSWORD = "Demo-2026"  # the demo city's password (core.demo.city.DEMO_PASSWORD), as printed on the demo's banner
SHOTS = Path(settings.VAR_DIR) / "journeys"
# axe-core's impact levels that fail a step.
BLOCKING_IMPACTS = {"critical", "serious"}

pytestmark = [pytest.mark.browser]


# --- The city: a database, a web server and a worker of its own -----------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


# For a developer iterating on one journey: `STATIONNET_JOURNEYS_TEMPLATE=<name>` keeps the freshly loaded demo city
# as database <name> and copies it on later runs instead of loading it again (drop it after changing migrations or the
# demo). Unset, as in CI, every run loads the city anew.
TEMPLATE = os.environ.get("STATIONNET_JOURNEYS_TEMPLATE", "")


@contextlib.contextmanager
def journey_database() -> Iterator[tuple[str, bool]]:
    """A database of this run, dropped afterwards; yields its DATABASE_URL and whether it is loaded already."""
    base = os.environ["DATABASE_URL"]
    name = f"{urlsplit(base).path.lstrip('/') or 'stationnet'}_journeys_{secrets.token_hex(3)}"
    admin = psycopg2.connect(_with_database(base, "postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE])
            loaded = bool(TEMPLATE) and cursor.fetchone() is not None
            template = sql.SQL(" TEMPLATE {}").format(sql.Identifier(TEMPLATE)) if loaded else sql.SQL("")
            cursor.execute(sql.SQL("CREATE DATABASE {}{}").format(sql.Identifier(name), template))
        yield _with_database(base, name), loaded
    finally:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


def keep_as_template(url: str) -> None:
    """Copy the loaded city to `TEMPLATE` (nothing is connected to it yet)."""
    admin = psycopg2.connect(_with_database(url, "postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            source = urlsplit(url).path.lstrip("/")
            cursor.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(TEMPLATE), sql.Identifier(source))
            )
    finally:
        admin.close()


@dataclass
class Site:
    port: int
    mail_dir: Path
    log_dir: Path
    sms_dir: Path
    # What one journey leaves for another (a referral's number, the figures before), in file order.
    story: dict = field(default_factory=dict)

    def url(self, path: str = "/", station: str | None = None) -> str:
        host = f"{station}.{settings.BASE_DOMAIN}" if station else settings.BASE_DOMAIN
        return f"http://{host}:{self.port}{path}"

    def mails(self) -> list[str]:
        """Every e-mail sent so far, as text (the file backend writes one file per connection)."""
        if not self.mail_dir.exists():
            return []
        return [path.read_text(encoding="utf-8") for path in sorted(self.mail_dir.glob("*.log"))]

    def mail_matching(self, pattern: str, timeout: float = 60) -> re.Match:
        """Wait for the worker to send an e-mail matching `pattern`; the match."""
        deadline = time.monotonic() + timeout
        while True:
            for text in reversed(self.mails()):
                match = re.search(pattern, _decoded(text))
                if match:
                    return match
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no e-mail matching {pattern!r} within {timeout} s; the worker's log:\n{self.worker_log()}"
                )
            time.sleep(0.5)

    def sms_matching(self, pattern: str, *, to: str, timeout: float = 60) -> re.Match:
        """Wait for the worker to send an SMS to `to` matching `pattern` (the development gateway writes each message
        to a file, core.common.sms.FileBackend); the match in the newest such message."""
        deadline = time.monotonic() + timeout
        while True:
            files = sorted(self.sms_dir.glob("*.txt")) if self.sms_dir.exists() else []
            for path in reversed(files):
                text = path.read_text(encoding="utf-8")
                if f"To: {to}" in text and (match := re.search(pattern, text)):
                    return match
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no SMS to {to} matching {pattern!r} within {timeout} s; the worker's log:\n{self.worker_log()}"
                )
            time.sleep(0.5)

    def server_log(self) -> str:
        return (self.log_dir / "gunicorn.log").read_text(encoding="utf-8", errors="replace")[-4000:]

    def worker_log(self) -> str:
        return (self.log_dir / "worker.log").read_text(encoding="utf-8", errors="replace")[-4000:]


def _decoded(message: str) -> str:
    """An e-mail file's text with its quoted-printable / base64 bodies decoded, so that links and Chinese read plainly."""
    import email
    from email import policy

    parts = []
    for chunk in re.split(r"\n-{70,}\n", message):
        # From bytes: an 8-bit UTF-8 body parsed from a str comes back as escapes, not Chinese.
        parsed = email.message_from_bytes(chunk.strip().encode("utf-8"), policy=policy.default)
        for part in parsed.walk() if parsed.is_multipart() else [parsed]:
            if part.get_content_maintype() == "text":
                with contextlib.suppress(Exception):
                    parts.append(part.get_content())
        parts.append(str(parsed.get("Subject", "")))
    return "\n".join(parts)


def _manage(env: dict[str, str], *args: str, log: Path) -> None:
    with log.open("a", encoding="utf-8") as out:
        result = subprocess.run(  # noqa: S603  (our own manage.py)
            [sys.executable, str(REPO_ROOT / "manage.py"), *args],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="package")
def site(tmp_path_factory) -> Iterator[Site]:
    if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip("Debian's chromium is not installed (bin/ensure-chromium installs it)")
    folder = tmp_path_factory.mktemp("journeys")
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with journey_database() as (url, loaded):
        env = {
            **os.environ,
            "DATABASE_URL": url,
            # A queue of its own: the worker of this city never takes the rest of the suite's tasks, nor they its own.
            "STATIONNET_CELERY_QUEUE": f"journeys-{secrets.token_hex(4)}",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "DJANGO_EMAIL_FILE_PATH": str(folder / "mail"),
            "STATIONNET_MEDIA_ROOT": str(folder / "media"),
            "STATIONNET_SMS_BACKEND": "core.common.sms.FileBackend",
            "STATIONNET_SMS_FILE_PATH": str(folder / "sms"),
        }
        started = time.monotonic()
        if not loaded:
            _manage(env, "migrate_schemas", "--noinput", "-v", "0", log=folder / "setup.log")
            _manage({**env, "STATIONNET_DEMO": "1"}, "load_demo_city", log=folder / "setup.log")
            if TEMPLATE:
                keep_as_template(url)
        # Spare schemas made the way this code makes them (one made otherwise, by an older template, is stale): the
        # bureau's onboarding then takes one in its request, as in a city whose pool is full.
        refill = "from tenants.spare_schemas import spare_schemas_refill; spare_schemas_refill()"
        _manage(env, "shell", "-c", refill, log=folder / "setup.log")
        print(f"journeys: demo city ready in {time.monotonic() - started:.0f} s")  # noqa: T201
        # The worker writes the links in e-mails: it must know the web server's port as well.
        env["STATIONNET_URL_PORT"] = str(port := free_port())
        worker_command = ["celery", "-A", "stationnet", "worker", "--pool", "solo", "--loglevel", "INFO"]
        prefix = env["STATIONNET_CELERY_QUEUE"]  # the worker's queues are named after this city's own
        worker_command += [
            "-Q",
            ",".join([prefix, *(f"{prefix}.{name}" for name in settings.WORKER_QUEUES if name != "default")]),
        ]
        with running(worker_command, folder / "worker.log", **env), serving(folder, port, **env):
            yield Site(port=port, mail_dir=folder / "mail", log_dir=folder, sms_dir=folder / "sms")


# --- The browser ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def chromium(site):
    """One Chromium for the journeys (each journey opens a context of its own: its own cookies and viewport). Closed
    at the end of the package: Playwright's event loop in this thread would refuse the later tests' database work."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--lang=zh-CN",  # the browser's own words (a file input's button) in Chinese, as on a user's machine
            ],
        )
        yield browser
        browser.close()


# Layout faults a person sees: the page scrolls sideways (a table cut off at the window's edge), or a cell is squeezed
# so narrow that its words break one character per line.
LAYOUT_CHECK = """() => {
  const faults = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) {
    // Name the widest culprits: elements reaching past the window whose parent does not.
    const culprits = [...document.querySelectorAll('body *')].filter(e => {
      const right = e.getBoundingClientRect().right, parent = e.parentElement.getBoundingClientRect().right;
      return right > window.innerWidth + 1 && parent <= window.innerWidth + 1;
    }).slice(0, 4).map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().replace(/ +/g, '.') : ''}`);
    faults.push(`page is ${root.scrollWidth}px wide in a ${window.innerWidth}px window: ${culprits.join(', ')}`);
  }
  // A form's table of rows (inputs) may scroll sideways on a phone; a table of figures must not.
  for (const table of document.querySelectorAll('table:not(.rows)')) {
    if (table.offsetParent === null) continue;
    for (let box = table.parentElement; box && box !== document.body; box = box.parentElement) {
      if (box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== 'visible') {
        faults.push(`table #${table.id || table.className || '?'} is cut off: ${table.scrollWidth}px in ${box.clientWidth}px`);
        break;
      }
    }
  }
  for (const cell of document.querySelectorAll('td, th, .card a, li a')) {
    const text = (cell.innerText || '').trim();
    if (text.length < 4 || cell.offsetParent === null) continue;
    const style = getComputedStyle(cell);
    const size = parseFloat(style.fontSize) || 16;
    const lineHeight = parseFloat(style.lineHeight) || size * 1.4;
    const rect = cell.getBoundingClientRect();
    const lines = Math.round(rect.height / lineHeight);
    if (rect.width < size * 3.5 && lines >= 3) faults.push(`"${text.slice(0, 20)}" squeezed to ${Math.round(rect.width)}px`);
  }
  return faults;
}"""


class Journey:
    """One person's walk through the product: a browser context of their own, a numbered screenshot of each step."""

    def __init__(self, site: Site, chromium, name: str, *, viewport: dict = DESKTOP):
        self.site = site
        self.name = name
        self.context = chromium.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.steps = 0
        self.folder = SHOTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.refused: list[str] = []
        self.page.on("response", self._note_refusal)
        # What the Content-Security-Policy blocked (an inline script, a form sent to another host): Chromium says it
        # on the console, and the journey fails at its next step.
        self.blocked: list[str] = []
        self.page.on("console", self._note_blocked)

    def _note_refusal(self, response) -> None:
        if response.status >= 500:
            self.refused.append(f"{response.status} {response.url}")

    def _note_blocked(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.blocked.append(f"{self.page.url}: {message.text}")

    def goto(self, path: str = "/", station: str | None = None):
        response = self.page.goto(self.site.url(path, station))
        self.page.wait_for_load_state("networkidle")
        return response

    def sign_in(self, username: str, station: str | None = None, password: str = PASSWORD) -> None:
        self.goto("/accounts/login/", station)
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.step(f"sign-in-{username}")
        self.page.click("main form button[type=submit]")
        self.page.wait_for_load_state("networkidle")
        assert "/accounts/login/" not in self.page.url, f"{username} could not sign in"
        # The second factor (core.twofactor): whose role requires it sets up an authenticator at the first sign-in
        # (the journey keeps the secret shown, as the person's phone would), and enters its code at every later one.
        if "/accounts/2fa/setup/" in self.page.url:
            self.two_factor_enrol(username)
        elif "/accounts/2fa/verify/" in self.page.url:
            self.page.fill("#id_code", self.totp_code(username))
            self.page.click("#twofactor-verify button[type=submit]")
            self.page.wait_for_load_state("networkidle")
        assert "/accounts/2fa/" not in self.page.url, f"{username} could not pass the second factor"

    def two_factor_enrol(self, username: str) -> None:
        """On the set-up page: read the key shown under the QR code, enter the app's first code, see the recovery
        codes, go on."""
        self.site.story.setdefault("totp", {})[username] = {"secret": self.text("#totp-secret"), "last_t": -1}
        self.step(f"two-factor-setup-{username}")
        self.page.fill("#id_code", self.totp_code(username))
        self.page.click("#twofactor-setup button[type=submit]")
        self.page.wait_for_load_state("networkidle")
        assert self.page.locator("#recovery-codes li").count() == 10, f"{username}: no recovery codes shown"
        self.step(f"two-factor-recovery-codes-{username}")
        self.page.click("#twofactor-continue")
        self.page.wait_for_load_state("networkidle")

    def totp_code(self, username: str) -> str:
        """The code `username`'s authenticator shows now (the key kept at their set-up). A code is taken once: when
        this 30-second step's was used, the next step's (accepted one step early), else wait for the clock."""
        import base64

        from tests.factories import totp_code_at

        kept = self.site.story["totp"][username]
        secret = kept["secret"].replace(" ", "").upper()
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        while True:
            now = int(time.time() // 30)
            t = max(now, kept["last_t"] + 1)
            if t <= now + 1:
                kept["last_t"] = t
                return totp_code_at(key, t)
            time.sleep(30 - time.time() % 30 + 0.05)

    def sign_out(self) -> None:
        self.page.click("header .who form button")
        self.page.wait_for_load_state("networkidle")

    def step(self, name: str, *, check: bool = True) -> Path:
        """A screenshot of the whole page, then the accessibility and layout checks of what it shows."""
        self.steps += 1
        slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
        path = self.folder / f"{self.steps:02d}-{slug}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert not self.refused, f"server errors during {self.name}: {self.refused}\n{self.site.server_log()}"
        assert not self.blocked, f"the Content-Security-Policy blocked something during {self.name}: {self.blocked}"
        if check:
            self.check_accessibility(name)
            faults = self.page.evaluate(LAYOUT_CHECK)
            assert not faults, f"{self.name} / {name} ({self.page.url}): {faults}"
        return path

    def check_accessibility(self, name: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
        report = [f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in blocking]
        assert not report, f"{self.name} / {name} ({self.page.url}):\n" + "\n".join(report)

    def text(self, selector: str = "main") -> str:
        return self.page.inner_text(selector)

    def close(self) -> None:
        self.context.close()


def submit(walk: Journey, form: str, name: str) -> None:
    """Screenshot the filled form, press its submit button, screenshot the answer."""
    walk.step(f"{name}-filled")
    walk.page.click(f"{form} button[type=submit]")
    walk.page.wait_for_load_state("networkidle")
    walk.step(name)


@pytest.fixture
def journey(site, chromium, request):
    """Open journeys by name: `journey("station-staff")`, `journey("enterprise-survey", viewport=PHONE)`."""
    opened = []

    def open_journey(name: str, **options) -> Journey:
        walk = Journey(site, chromium, name, **options)
        opened.append(walk)
        return walk

    yield open_journey
    for walk in opened:
        walk.close()


@pytest.fixture(scope="package", autouse=True)
def figures_before(site, chromium) -> dict[str, str]:
    """The city statistics as the bureau read them before the first journey (`site.story["figures_before"]`), for the
    last journey to compare."""
    walk = Journey(site, chromium, "bureau-statistics-before")
    try:
        walk.sign_in("bureau")
        site.story["figures_before"] = figures(walk)
        walk.step("statistics-before")
    finally:
        walk.close()
    return site.story["figures_before"]


def figures(walk: Journey) -> dict[str, str]:
    """The city statistics' headline figures as the bureau reads them on the console's statistics page."""
    walk.goto("/console/statistics/")
    return walk.page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('tr.total [data-figure]')]
             .map(e => [e.dataset.figure, e.innerText.trim()]))"""
    )


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1)
