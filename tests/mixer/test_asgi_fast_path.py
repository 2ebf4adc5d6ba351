"""``/process-audio`` under ASGI goes through mixer.asgi_handler (the sync middleware stack in
one thread hop): same answers, headers, errors and counters as Django's own handler."""

import json

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core import signals
from django.core.asgi import get_asgi_application
from django.db import close_old_connections

from mixer import dsp, stats
from mixer.asgi_handler import route_frames
from mixer.models import ApiKey
from tests.mixer.conftest import frames

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's own test clients do: the request signals must not close the connection
    that holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


@async_to_sync
async def asgi_post(app, path: str, body: bytes, headers: dict[str, str]) -> Response:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("localhost", 80),
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    *((k.lower().encode(), v.encode()) for k, v in headers.items())],
    }
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(30)
    chunks = []
    while True:
        message = await communicator.receive_output(30)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await communicator.send_input({"type": "http.disconnect"})
    await communicator.wait(30)
    head = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return Response(start["status"], head, b"".join(chunks))


class DefaultApp:
    """Stands in for Django's handler behind the router: records what reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_a_frame_through_the_fast_path(alice_key, alice):
    app = route_frames(get_asgi_application())
    x = frames(1)[0]
    body = json.dumps({"audioBuffer": x.tolist()}).encode()
    response = asgi_post(app, "/v1/process-audio", body,
                         {"Authorization": f"Bearer {alice_key}", "X-Stream-Id": "fast"})
    assert response.status == 200
    expected = dsp.process(x, settings=dsp.ChainSettings(), state=dsp.new_state()).samples
    got = np.array(response.json()["processedBuffer"], np.float32)
    np.testing.assert_array_equal(got, expected)
    assert response.headers["x-ratelimit-limit"] == "1000"
    assert response.headers["x-ratelimit-remaining"] == "999"
    assert len(response.headers["x-request-id"]) == 32
    assert response.headers["x-content-type-options"] == "nosniff"  # the middleware ran
    counted = stats.stats_get(key=ApiKey.objects.get(owner=alice))
    assert counted["requests"]["total"] == 1
    assert counted["processing"]["totalSamples"] == dsp.FRAME_SIZE


def test_errors_through_the_fast_path_keep_the_spec_format(alice_key):
    app = route_frames(get_asgi_application())
    unauthorized = asgi_post(app, "/process-audio", b"{}", {"Authorization": "Bearer mx_nope"})
    assert unauthorized.status == 401
    assert unauthorized.json()["error"]["code"] == "UNAUTHORIZED"
    short = asgi_post(app, "/process-audio/", b'{"audioBuffer": [0.5]}',
                      {"Authorization": f"Bearer {alice_key}"})
    assert short.status == 400
    assert short.json()["error"]["code"] == "INVALID_BUFFER_SIZE"
    assert short.json()["error"]["requestId"] == short.headers["x-request-id"]


@pytest.mark.parametrize(("path", "fast"), [
    ("/process-audio", True), ("/process-audio/", True), ("/v1/process-audio", True),
    ("/health", False), ("/v1/extract-features", False), ("/process-audio-x", False),
    ("/api/boost/upload/", False), ("/v2/process-audio", False),
])
def test_only_frame_paths_take_the_fast_path(path, fast):
    default = DefaultApp()
    response = asgi_post(route_frames(default), path, b"{}", {})
    assert (default.paths == []) is fast
    assert response.status == (401 if fast else 204)  # Django's answer without a key
