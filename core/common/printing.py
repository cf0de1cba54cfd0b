"""HTML to PDF with Debian's headless Chromium, run as a subprocess (never Playwright, never a downloaded browser).

The HTML is written to a private temporary folder and printed from `file://`, so it must be self-contained (inline
CSS, no scripts, no server assets): the print reaches nothing of the running server. Chromium gets its own profile,
home and cache folders in that temporary folder (the containers' root file system is read-only) and is killed with
its whole process group if it takes longer than the time limit.

Settings (optional): `STATIONNET_CHROMIUM`, the browser's path (default: `chromium` on the PATH);
`STATIONNET_PDF_TIMEOUT`, seconds (default 60).
"""

import html as html_lib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings

DEFAULT_TIMEOUT = 60
BROWSER_NAMES = ("chromium", "chromium-browser")


class PrintingError(RuntimeError):
    """The PDF could not be made."""


class PrintingUnavailable(PrintingError):
    """No Chromium on this server."""


def chromium_path() -> str:
    """Where Debian's chromium is, or PrintingUnavailable."""
    configured = getattr(settings, "STATIONNET_CHROMIUM", None)
    if configured:
        if not os.access(configured, os.X_OK):
            raise PrintingUnavailable(f"STATIONNET_CHROMIUM={configured} is not an executable file")
        return configured
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PrintingUnavailable(
        "PDF printing needs Debian's chromium and fonts-noto-cjk (apt-get install chromium fonts-noto-cjk); "
        "chromium was not found on the PATH"
    )


def _with_base(html: str, base_url: str) -> str:
    """`html` with a <base href> first in its <head>, so that relative addresses resolve against `base_url`."""
    tag = f'<base href="{html_lib.escape(base_url, quote=True)}">'
    head = re.search(r"<head[^>]*>", html, flags=re.IGNORECASE)
    if head is None:
        return tag + html
    return html[: head.end()] + tag + html[head.end() :]


def pdf_from_html(*, html: str, base_url: str | None = None) -> bytes:
    """Print `html` to PDF as Chromium prints it (the page's own @page rules set paper size and margins; no header
    or footer is added). `base_url`, if given, resolves the page's relative addresses (by default there is none:
    keep the page self-contained)."""
    browser = chromium_path()
    timeout = getattr(settings, "STATIONNET_PDF_TIMEOUT", DEFAULT_TIMEOUT)
    if base_url:
        html = _with_base(html, base_url)
    with tempfile.TemporaryDirectory(prefix="stationnet-print-") as folder:
        work = Path(folder)
        page, output = work / "page.html", work / "page.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",  # no user namespaces in the containers; the page is our own, without scripts
            "--disable-gpu",
            "--disable-dev-shm-usage",  # /dev/shm is 64 MB in a pod
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={work / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={output}",
            page.as_uri(),
        ]
        environment = {
            **os.environ,
            "HOME": str(work),
            "XDG_CONFIG_HOME": str(work / "config"),
            "XDG_CACHE_HOME": str(work / "cache"),
        }
        # A session of its own, so that a hung browser is killed with its renderer and utility processes.
        process = subprocess.Popen(  # noqa: S603  (our own command line, no shell)
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=work,
            start_new_session=True,
        )
        try:
            _, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PrintingError(f"chromium did not print the PDF within {timeout} s") from None
        pdf = output.read_bytes() if output.exists() else b""
        if process.returncode != 0 or not pdf.startswith(b"%PDF-"):
            tail = errors.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PrintingError(f"chromium exited with {process.returncode} without a PDF: {' | '.join(tail)}")
        return pdf
