"""A test client for the production ASGI application (``audioservices.asgi.application``).

It speaks the part of DRF's ``APIClient`` interface the mixer tests use (``credentials``,
``get``/``post`` with ``format="json"``, raw bodies with ``content_type``, ``HTTP_*`` extras;
responses with ``status_code``, ``json()``, ``content`` and ``response["Header"]``), so the
same endpoint tests run against Django's test handler and against what uvicorn serves, the
lean ``/process-audio`` path (mixer/frame_asgi.py) included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core import signals
from django.db import close_old_connections
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

TIMEOUT_S = 30


class AsgiResponse:
    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code, self.content = status, body
        self.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}

    def json(self) -> Any:
        return json.loads(self.content)

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self.headers


class AsgiClient:
    def __init__(self, **_drf_options: object) -> None:
        self._credentials: dict[str, str] = {}

    def credentials(self, **meta: str) -> None:
        self._credentials = meta

    def get(self, path: str, **extra: str) -> AsgiResponse:
        return self.request("GET", path, b"", None, extra)

    def post(
        self,
        path: str,
        data: Any = None,
        format: str | None = None,
        content_type: str | None = None,
        **extra: str,
    ) -> AsgiResponse:
        if content_type is not None:
            body = data.encode() if isinstance(data, str) else (data or b"")
        elif format == "json":
            body, content_type = json.dumps(data).encode(), "application/json"
        else:  # APIClient's default: a multipart form
            body, content_type = encode_multipart(BOUNDARY, data or {}), MULTIPART_CONTENT
        return self.request("POST", path, body, content_type, extra)

    def request(
        self, method: str, path: str, body: bytes, content_type: str | None, extra: dict[str, str]
    ) -> AsgiResponse:
        meta = {**self._credentials, **extra}
        headers = [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())]
        if content_type is not None:
            headers.append((b"content-type", content_type.encode()))
        headers += [
            (name.removeprefix("HTTP_").replace("_", "-").lower().encode(), value.encode())
            for name, value in meta.items()
        ]
        url = urlsplit(path)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": url.path,
            "raw_path": url.path.encode(),
            "query_string": url.query.encode(),
            "root_path": "",
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "headers": headers,
        }
        from audioservices.asgi import application

        with keeping_the_test_connection():
            return exchange(application, scope, body)


@contextmanager
def keeping_the_test_connection() -> Iterator[None]:
    """As Django's test clients do: the request signals must not close the connection that
    holds the test's transaction (the app's database work runs on this thread)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@async_to_sync
async def exchange(app, scope: dict, body: bytes) -> AsgiResponse:
    """One HTTP request to the ASGI ``app``: the whole body in, every body message out."""
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(TIMEOUT_S)
    chunks = []
    while True:
        message = await communicator.receive_output(TIMEOUT_S)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await communicator.send_input({"type": "http.disconnect"})
    await communicator.wait(TIMEOUT_S)
    return AsgiResponse(start["status"], start["headers"], b"".join(chunks))
