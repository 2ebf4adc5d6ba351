"""Polling a job the way an API client does."""

import time

from rest_framework.test import APIClient


def wait_for_job(client: APIClient, service: str, file_id: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/{service}/files/{file_id}/status/").json()
        if body["status"] not in ("pending", "processing"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"{service} job {file_id} still {body['status']} after {timeout} s")
