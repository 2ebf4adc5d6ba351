"""POST /process-audio: the chain over HTTP, its error codes, stream state, genre presets."""

import json

import numpy as np
import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from mixer import auth, dsp, loudness, mobile, services, stats
from mixer.models import ApiKey
from mixer.presets import preset_for
from tests import signals
from tests.mixer.conftest import frames
from tests.mixer.test_auth import assert_spec_error
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["django", "asgi"])
def client_kind(request) -> str:
    """Every test here runs through Django's test handler and through the production ASGI
    application (whose /process-audio is mixer/frame_asgi.py's lean path)."""
    return request.param


def post(client, frame, path="/process-audio", **extra):
    """POST a frame as DRF's test client or tests/mixer/asgi_client.py sends it."""
    body = {"audioBuffer": [float(v) for v in frame], **extra.pop("body", {})}
    return client.post(path, body, format="json", **extra)


@pytest.mark.parametrize("path", ["/process-audio", "/v1/process-audio", "/v1/process-audio/"])
def test_frame_comes_back_processed_by_the_chain(api, path):
    frame = frames(1)[0]
    config = {"gain": 6, "compressor": {"ratio": 8, "threshold": -30}}
    response = post(api, frame, path, body={"config": config})
    assert response.status_code == 200
    body = response.json()
    settings = dsp.ChainSettings.from_dict(config)
    expected = dsp.process(frame, settings=settings, state=dsp.new_state())
    np.testing.assert_array_equal(np.array(body["processedBuffer"], np.float32), expected.samples)
    metrics = body["metrics"]
    assert metrics["peak"] == pytest.approx(expected.peak_db)
    assert metrics["rms"] == pytest.approx(expected.rms_db)
    assert metrics["lufs"] == pytest.approx(loudness.meter(expected.samples,
                                                           loudness.new_meter_state()))
    assert metrics["genre"] is None
    assert metrics["confidence"] is None
    assert metrics["processingTime"] > 0
    assert body["appliedSettings"]["compressor"]["ratio"] == 8
    assert body["appliedSettings"]["compressor"]["threshold"] == -30
    assert set(body["appliedSettings"]) >= {"noiseGate", "compressor", "eq", "limiter"}


def test_same_stream_id_equals_one_chain_run_over_both_frames(api):
    x = frames(2)
    first = post(api, x[0], HTTP_X_STREAM_ID="take-1").json()
    second = post(api, x[1], body={"streamId": "take-1"}).json()  # header or field
    state = dsp.new_state()
    whole = dsp.process(x.ravel(), settings=dsp.ChainSettings(), state=state).samples
    got = np.array(first["processedBuffer"] + second["processedBuffer"], np.float32)
    np.testing.assert_array_equal(got, whole)


def test_without_stream_id_each_frame_starts_fresh(api):
    frame = frames(1)[0]
    first = post(api, frame).json()["processedBuffer"]
    assert post(api, frame).json()["processedBuffer"] == first


def test_streams_belong_to_their_key(api, bob, make_key, key_client):
    x = frames(2)
    post(api, x[0], HTTP_X_STREAM_ID="s")
    bobs = post(key_client(make_key(bob)), x[1], HTTP_X_STREAM_ID="s").json()
    fresh = dsp.process(x[1], settings=dsp.ChainSettings(), state=dsp.new_state()).samples
    np.testing.assert_array_equal(np.array(bobs["processedBuffer"], np.float32), fresh)


def test_stream_lufs_is_the_running_integrated_loudness(api):
    x = frames(30, level=0.2)
    outputs, lufs = [], None
    for frame in x:
        body = post(api, frame, HTTP_X_STREAM_ID="loud").json()
        outputs.append(body["processedBuffer"])
        lufs = body["metrics"]["lufs"]
    state = loudness.new_meter_state()
    expected = loudness.meter(np.array(outputs, np.float32).ravel(), state)
    assert lufs == pytest.approx(expected, abs=1e-9)
    assert -40 < lufs < 0


def test_named_genre_starts_from_its_preset(api):
    body = post(api, frames(1)[0], body={"config": {"genre": "speech",
                                                    "eq": {"high": 4}}}).json()
    expected = preset_for("speech").to_dict()
    assert body["appliedSettings"]["compressor"] == expected["compressor"]
    assert body["appliedSettings"]["eq"] == {**expected["eq"], "high": 4.0}
    assert body["metrics"]["genre"] == "speech"
    assert body["metrics"]["confidence"] is None  # chosen, not detected


def test_auto_genre_without_a_stream_detects_nothing(api):
    body = post(api, frames(1)[0], body={"config": {"genre": "auto"}}).json()
    assert body["metrics"]["genre"] is None
    assert body["metrics"]["confidence"] is None
    assert body["appliedSettings"] == {k: v for k, v in dsp.ChainSettings().to_dict().items()}


def test_auto_genre_detects_speech_after_three_seconds_and_fires_one_webhook(api, alice, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    endpoint = webhook_services.endpoint_create(owner=alice, url="http://127.0.0.1:9/hook",
                                                events=["genre.detected"])
    speech = signals.speech(dsp.SAMPLE_RATE)
    count = speech.size // dsp.FRAME_SIZE
    speech = speech[: count * dsp.FRAME_SIZE].reshape(count, dsp.FRAME_SIZE)
    assert count > 160, "the test recording must be longer than the 3 s window"
    answers = [post(api, frame, HTTP_X_STREAM_ID="talk-1", body={"config": {"genre": "auto"}}
                    ).json()["metrics"] for frame in speech[:160]]
    assert all(m["genre"] is None for m in answers[:149])  # under 3 s: no guess
    assert answers[-1]["genre"] == "speech"
    assert 0.5 < answers[-1]["confidence"] <= 1
    [delivery] = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert delivery.payload["data"] == {"sessionId": "talk-1", "genre": "speech",
                                        "confidence": answers[-1]["confidence"]}
    applied = post(api, speech[160], HTTP_X_STREAM_ID="talk-1",
                   body={"config": {"genre": "auto"}}).json()["appliedSettings"]
    assert applied["compressor"] == preset_for("speech").to_dict()["compressor"]


def test_bypass_returns_the_input(api):
    frame = frames(1)[0]
    body = post(api, frame, body={"config": {"bypass": True}}).json()
    np.testing.assert_array_equal(np.array(body["processedBuffer"], np.float32), frame)


GOOD = [0.0] * dsp.FRAME_SIZE


@pytest.mark.parametrize(("body", "code", "detail"), [
    ({"audioBuffer": [0.0] * 959}, "INVALID_BUFFER_SIZE", {"expected": 960, "received": 959}),
    ({"audioBuffer": [0.0] * 961}, "INVALID_BUFFER_SIZE", {"expected": 960, "received": 961}),
    ({"audioBuffer": []}, "INVALID_BUFFER_SIZE", {"expected": 960, "received": 0}),
    ({}, "INVALID_BUFFER", {}),
    ({"audioBuffer": "0.1,0.2"}, "INVALID_BUFFER", {}),
    ({"audioBuffer": ["0.1"] * 960}, "INVALID_BUFFER", {}),
    ({"audioBuffer": [True] * 960}, "INVALID_BUFFER", {}),
    ({"audioBuffer": [1e39] * 960}, "NON_FINITE_SAMPLES", {}),
    ({"audioBuffer": GOOD, "sampleRate": 44100}, "INVALID_SAMPLE_RATE",
     {"expected": 48000, "received": 44100}),
    ({"audioBuffer": GOOD, "config": {"compressor": {"ratio": 50}}}, "INVALID_CONFIG",
     {"fields": {"config.compressor.ratio": "must be between 1 and 20"}}),
    ({"audioBuffer": GOOD, "config": {"eq": {"low": "loud"}}}, "INVALID_CONFIG",
     {"fields": {"config.eq.low": "must be a number"}}),
    ({"audioBuffer": GOOD, "config": {"genre": "polka"}}, "INVALID_CONFIG",
     {"fields": {"config.genre": "must be one of auto, speech, rock, jazz, electronic, "
                                 "classical"}}),
    ({"audioBuffer": GOOD, "config": [1]}, "INVALID_CONFIG", {"fields": {"config": "must be an object"}}),
    ({"audioBuffer": GOOD, "streamId": "a b"}, "INVALID_STREAM_ID", {}),
    ({"audioBuffer": GOOD, "streamId": "x" * 65}, "INVALID_STREAM_ID", {}),
])
def test_bad_requests_get_their_code(api, body, code, detail):
    error = assert_spec_error(api.post("/process-audio", body, format="json"), 400, code)
    assert error["details"] == detail


@pytest.mark.parametrize("raw", [b'{"audioBuffer": [0.1,', b"not json", b'{"a": NaN}', b"[1, 2]"])
def test_malformed_json_is_400(api, raw):
    response = api.post("/process-audio", raw, content_type="application/json")
    assert_spec_error(response, 400, "INVALID_JSON")


def test_wrong_method_and_media_type(api):
    assert_spec_error(api.get("/process-audio"), 405, "METHOD_NOT_ALLOWED")
    response = api.post("/process-audio", {"audioBuffer": "1"})  # multipart form
    assert_spec_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize("path", ["/v1/nothing", "/v1/", "/nothing-here", "/process-audio/x"])
def test_unknown_paths_are_endpoint_not_found(api, path):
    assert_spec_error(api.post(path, {}, format="json"), 404, "ENDPOINT_NOT_FOUND")
    assert_spec_error(api.get(path), 404, "ENDPOINT_NOT_FOUND")


def test_site_paths_keep_django_behaviour(api):
    missing = api.get("/api/nothing/")
    assert missing.status_code == 404
    assert b"ENDPOINT_NOT_FOUND" not in missing.content
    assert api.get("/admin").status_code == 301  # APPEND_SLASH still redirects


def test_redis_outage_is_503_not_500(api):
    with override_settings(REDIS_URL="unix:///nonexistent/redis.sock"):
        response = post(api, GOOD)
    assert_spec_error(response, 503, "SERVICE_UNAVAILABLE")


def test_long_buffer_is_a_size_error(api):
    body = json.dumps({"audioBuffer": [0.5] * 10_000})
    response = api.post("/process-audio", body, content_type="application/json")
    assert_spec_error(response, 400, "INVALID_BUFFER_SIZE")


def test_huge_body_is_refused_unparsed(api):
    body = json.dumps({"audioBuffer": [0.5] * 100_000})
    response = api.post("/process-audio", body, content_type="application/json")
    assert_spec_error(response, 413, "PAYLOAD_TOO_LARGE")


# --- key, limit, counters: the same on the lean ASGI path as through DRF -----------------


@pytest.mark.parametrize(("header", "message"), [
    (None, "Missing API key: send 'Authorization: Bearer <API key>'."),
    ("Token x", "Missing API key: send 'Authorization: Bearer <API key>'."),
    ("Bearer", auth.MALFORMED_HEADER),
    ("Bearer a b", auth.MALFORMED_HEADER),
    ("Bearer mx_not-a-key", auth.INVALID_KEY),
    ("Bearer mst_garbage", mobile.TOKEN_INVALID),
])
def test_bad_credentials_are_401(key_client, header, message):
    client = key_client("unused")
    client.credentials(**({"HTTP_AUTHORIZATION": header} if header else {}))
    response = post(client, GOOD)
    assert assert_spec_error(response, 401, "UNAUTHORIZED")["message"] == message
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "X-RateLimit-Limit" not in response


def test_revoked_key_is_refused_at_once(api, alice):
    assert post(api, GOOD).status_code == 200
    services.api_key_revoke(key=ApiKey.objects.get(owner=alice))
    assert_spec_error(post(api, GOOD), 401, "UNAUTHORIZED")


def test_a_frame_records_the_keys_use_and_then_costs_no_query(api, alice):
    assert post(api, GOOD).status_code == 200
    assert ApiKey.objects.get(owner=alice).last_used_at is not None
    with CaptureQueriesContext(connection) as queries:
        assert post(api, GOOD, HTTP_X_STREAM_ID="s").status_code == 200
    assert [q["sql"] for q in queries if "mixer_" in q["sql"]] == []


def test_frames_over_the_limit_are_403_with_retry_after(api, settings):
    settings.MIXER_RATE_LIMITS = {"standard": 2, "premium": 5, "enterprise": None}
    assert [post(api, GOOD)["X-RateLimit-Remaining"] for _ in range(2)] == ["1", "0"]
    refused = post(api, GOOD, HTTP_X_STREAM_ID="s")
    error = assert_spec_error(refused, 403, "RATE_LIMIT_EXCEEDED")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert error["details"] == {"retryAfter": int(refused["Retry-After"])}
    assert (refused["X-RateLimit-Limit"], refused["X-RateLimit-Remaining"]) == ("2", "0")
    bad = post(api, [0.0], HTTP_X_STREAM_ID="s")  # over the limit comes before the body
    assert_spec_error(bad, 403, "RATE_LIMIT_EXCEEDED")


def test_frames_and_errors_are_counted_in_stats_and_metrics(api, alice):
    def requests_total(status: str) -> float:
        return REGISTRY.get_sample_value("ai_mixer_requests_total", {
            "method": "POST", "endpoint": "/process-audio", "status": status}) or 0.0

    ok_before, bad_before = requests_total("200"), requests_total("400")
    x = frames(2)
    post(api, x[0], HTTP_X_STREAM_ID="counted")
    post(api, x[1], HTTP_X_STREAM_ID="counted", body={"config": {"genre": "rock"}})
    post(api, [0.5])
    counted = stats.stats_get(key=ApiKey.objects.get(owner=alice))
    assert counted["requests"] == {"total": 3, "today": 3, "errors": 1, "errorRate": 0.333333}
    assert counted["processing"]["totalSamples"] == 2 * dsp.FRAME_SIZE
    assert counted["processing"]["averageLatency"] > 0
    assert counted["genres"]["rock"] == 1
    assert (requests_total("200") - ok_before, requests_total("400") - bad_before) == (2, 1)


def test_a_mobile_token_works_as_its_key(api, alice, key_client):
    key = ApiKey.objects.get(owner=alice)
    device = key_client(mobile.token_issue(key=key, session_id="phone").token)
    frame = frames(1)[0]
    response = post(device, frame)
    assert response.status_code == 200
    expected = dsp.process(frame, settings=dsp.ChainSettings(), state=dsp.new_state()).samples
    np.testing.assert_array_equal(np.array(response.json()["processedBuffer"], np.float32),
                                  expected)
    assert response["X-RateLimit-Limit"] == "1000"


def test_every_answer_carries_the_security_headers(api):
    for response in (post(api, GOOD), post(api, [0.5]), api.get("/process-audio")):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert len(response["X-Request-Id"]) == 32
