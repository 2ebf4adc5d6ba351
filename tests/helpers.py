"""Polling a job the way an API client does, and looking at what the service stored."""

import os
import time
from pathlib import Path

from django.conf import settings
from rest_framework.test import APIClient


def wait_for_job(client: APIClient, service: str, file_id: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/{service}/files/{file_id}/status/").json()
        if body["status"] not in ("pending", "processing"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"{service} job {file_id} still {body['status']} after {timeout} s")


def media_path(url: str) -> Path:
    """The stored file behind a ``/media/...`` URL of a status JSON."""
    return Path(settings.MEDIA_ROOT) / url.removeprefix("/media/")


def stored_files() -> set[Path]:
    """Every file under MEDIA_ROOT."""
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


def descriptors_into(folder: Path) -> list[str]:
    """What this process's open file descriptors point to inside ``folder``."""
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the descriptor listdir itself used is gone already
            continue
        if target.startswith(str(folder)):
            targets.append(target)
    return targets
