"""``/process-audio`` under ASGI: the lean path (mixer/frame_asgi.py) answers ordinary frames,
and hands anything else to mixer.asgi_handler (the sync middleware stack in one thread hop):
same answers, headers, errors and counters as Django's own handler."""

import json

import numpy as np
import pytest
from django.core.asgi import get_asgi_application

from mixer import dsp, stats
from mixer.asgi_handler import SyncStackAsgiHandler, route_frames
from mixer.frame_asgi import FrameApp
from mixer.models import ApiKey
from tests.mixer.asgi_client import exchange, keeping_the_test_connection
from tests.mixer.conftest import frames

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    with keeping_the_test_connection():
        yield


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def asgi_post(app, path: str, body: bytes, headers: dict[str, str]) -> Response:
    return asgi_request(app, "POST", path, body, headers)


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


# --- the lean path (mixer/frame_asgi.py): what it answers itself, what it hands to Django ---


class Fallback(DefaultApp):
    """Stands in for Django's stack behind FrameApp: records paths and the body it read."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send) -> None:
        self.bodies.append((await receive())["body"])
        await super().__call__(scope, receive, send)


def lean_post(alice_key, *, body: bytes | None = None, path: str = "/process-audio",
              method: str = "POST", **headers: str) -> tuple[Response, Fallback]:
    fallback = Fallback()
    body = json.dumps({"audioBuffer": frames(1)[0].tolist()}).encode() if body is None else body
    scope_headers = {"Authorization": f"Bearer {alice_key}", **headers}
    response = asgi_request(FrameApp(fallback), method, path, body, scope_headers)
    return response, fallback


def asgi_request(app, method: str, path: str, body: bytes, headers: dict[str, str]
                 ) -> Response:
    """``method`` to ``path`` (with any query string); ``headers`` may replace the defaults."""
    path, _, query = path.partition("?")
    defaults = {"host": "localhost", "content-type": "application/json",
                "content-length": str(len(body))}
    merged = {**defaults, **{k.lower(): v for k, v in headers.items()}}
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "headers": [(k.encode(), v.encode()) for k, v in merged.items() if v is not None],
    }
    response = exchange(app, scope, body)
    return Response(response.status_code, response.headers, response.content)


def test_an_ordinary_frame_is_answered_without_django(alice_key):
    response, fallback = lean_post(alice_key, **{"Accept": "application/json",
                                                 "Content-Type": "application/json; charset=utf-8"})
    assert response.status == 200
    assert fallback.paths == []
    assert int(response.headers["content-length"]) == len(response.body)


@pytest.mark.parametrize("change", [
    {"method": "GET"},
    {"method": "PUT"},
    {"Content-Type": "multipart/form-data; boundary=x"},
    {"Content-Type": "text/plain"},
    {"path": "/process-audio?format=json"},
    {"Accept": "text/html"},
    {"body": b'{"audioBuffer": [0.1,'},  # orjson refuses: Django's parser words the error
    {"body": b'{"a": NaN}'},
    {"body": b"x" * (256 * 1024 + 1)},
    {"Content-Length": None},
    {"Host": "evil.example"},
])
def test_unusual_requests_go_to_django_with_their_body(alice_key, change):
    change = dict(change)
    response, fallback = lean_post(alice_key, **change)
    assert fallback.paths == [change.get("path", "/process-audio").partition("?")[0]]
    assert response.status == 204  # the fallback's answer
    if "body" in change and change.get("method") is None:
        assert fallback.bodies == [change["body"]]  # replayed, not lost


def test_a_middleware_it_does_not_know_sends_every_frame_to_django(alice_key, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    _response, fallback = lean_post(alice_key)
    assert fallback.paths == ["/process-audio"]


def test_plain_http_under_ssl_redirect_goes_to_django(alice_key, settings):
    settings.SECURE_SSL_REDIRECT = True
    _response, fallback = lean_post(alice_key)
    assert fallback.paths == ["/process-audio"]


def test_behind_a_tls_proxy_it_answers_with_hsts(alice_key, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response, fallback = lean_post(alice_key, **{"X-Forwarded-Proto": "https"})
    assert fallback.paths == []
    assert response.status == 200
    assert response.headers["strict-transport-security"] == "max-age=3600; includeSubDomains"


@pytest.mark.parametrize("case", ["ok", "invalid", "no-key", "bad-json-value"])
def test_same_headers_as_djangos_path(alice_key, case):
    """Header names (and the fixed values) of the lean answer equal those of Django's stack
    for the same request: a middleware that adds a header would show up here."""
    body = {"ok": {"audioBuffer": [0.0] * 960}, "invalid": {"audioBuffer": [0.0]},
            "no-key": {"audioBuffer": [0.0] * 960}, "bad-json-value": [1, 2]}[case]
    auth = {} if case == "no-key" else {"Authorization": f"Bearer {alice_key}"}
    raw = json.dumps(body).encode()
    lean = asgi_request(route_frames(None), "POST", "/process-audio", raw,
                        {**auth, "X-Stream-Id": "parity"})
    django_app = SyncStackAsgiHandler()
    via_django = asgi_request(django_app, "POST", "/process-audio", raw,
                              {**auth, "X-Stream-Id": "parity"})
    assert lean.status == via_django.status
    assert set(lean.headers) == set(via_django.headers)
    varying = {"x-request-id", "content-length", "x-ratelimit-remaining", "x-ratelimit-reset"}
    assert {k: v for k, v in lean.headers.items() if k not in varying} == {
        k: v for k, v in via_django.headers.items() if k not in varying}
    if case != "ok":
        lean_error, django_error = lean.json()["error"], via_django.json()["error"]
        for field in ("code", "message", "details"):
            assert lean_error[field] == django_error[field]
