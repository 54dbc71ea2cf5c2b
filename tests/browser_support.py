"""Shared by the browser tests: Chromium via Playwright, and uvicorn serving an app in a thread."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).resolve().parent.parent / "docs"


def screenshot(page, name: str, real: bool = False) -> None:
    """docs/screenshot-<name>.png: written when missing; KB_SCREENSHOTS=1 refreshes them from the
    real-KB run (test_api_e2e.py), whose pages show the shipped corpus rather than fake data."""
    path = DOCS / f"screenshot-{name}.png"
    if not path.exists() or (real and os.environ.get("KB_SCREENSHOTS") == "1"):
        page.screenshot(path=str(path))


class Server:
    """uvicorn in a thread, on a port the OS picks."""

    def __init__(self, app):
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/"

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()




def new_page(browser, base_url: str):
    """A fresh context and page (Russian locale, downloads on); fails the test on a JavaScript error."""
    ctx = browser.new_context(
        base_url=base_url, locale="ru-RU", viewport={"width": 1280, "height": 860}, accept_downloads=True
    )
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(15_000)
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
