"""A live ASGI server (daphne: HTTP + WebSocket) on the test database, and a real Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import ROOT, _database_url
from tests.test_embedded_defaults import free_port, wait_until_up

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def asgi_server(transactional_db, celery_worker):
    """daphne in a subprocess, sharing the test database, media folder and Redis."""
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict),
           "MEDIA_ROOT": str(settings.MEDIA_ROOT), "REDIS_URL": settings.REDIS_URL}
    port = free_port()
    log = open(ROOT / "var" / f"test-daphne-{os.getpid()}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
         "audioservices.asgi:application"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/accounts/login/", process, timeout=90.0)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def browser_page(asgi_server):
    """A headless Debian Chromium page; its teardown runs before the database is flushed."""
    if not CHROMIUM.exists():
        pytest.fail(f"The browser tests need Chromium at {CHROMIUM}: "
                    "run `apt-get install -y chromium` (.ci/run does it).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(base_url=asgi_server, accept_downloads=True,
                                      viewport={"width": 1200, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        context.close()
        browser.close()
