"""POST /stream-audio against a real uvicorn server (the production ASGI server, the
``server`` fixture) on the test database: a chunked body in, Server-Sent Events out, while the
client is still sending."""

from __future__ import annotations

import base64
import json
import time
import urllib.request

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mixer import dsp, loudness, mobile, stream_session
from mixer.genre import GenreModelMissing
from mixer.models import ApiKey
from mixer.ratelimit import rate_limit_hit
from mixer.sse_client import SseStreamClient
from tests.mixer.asgi_client import AsgiClient
from tests.mixer.conftest import frames, genre_auto_reference, music_frames, pieces
from tests.webhooks.receiver import Receiver
from webhooks import services as webhook_services
from webhooks import signing
from webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)
SPEC_ERROR_FIELDS = {"code", "message", "details", "timestamp", "requestId"}


def stream(server, key, chunks, **options) -> SseStreamClient:
    with SseStreamClient(*server, key=key, **options) as client:
        for chunk in chunks:
            client.send(chunk)
        client.finish()
    return client


def audio_of(events) -> np.ndarray:
    return np.concatenate([np.frombuffer(base64.b64decode(d["audio"]), "<f4")
                           for name, d in events if name == "audio"])


def assert_spec_error(client: SseStreamClient, status: int, code: str) -> dict:
    assert client.status == status, client.body
    error = client.json()["error"]
    assert set(error) == SPEC_ERROR_FIELDS
    assert error["code"] == code
    assert error["requestId"] == client.headers["x-request-id"]
    return error


@pytest.mark.parametrize("path", ["/stream-audio", "/v1/stream-audio"])
def test_frames_out_equal_the_chain_and_the_tail_is_padded(server, alice_key, path):
    x = frames(5, seed=1).ravel()[: 4 * 960 + 480]  # 4.5 frames
    client = stream(server, alice_key, pieces(x.astype("<f4").tobytes(), [1000, 7, 5000, 333]),
                    path=path)
    assert client.status == 200
    assert client.headers["content-type"] == "text/event-stream"
    assert client.headers["x-ratelimit-limit"] == "1000"
    names = [name for name, _ in client.events]
    assert names == ["audio"] * 5 + ["complete"]
    padded = np.concatenate([x, np.zeros(480, np.float32)])
    state = dsp.new_state()
    expected = dsp.process(padded, settings=dsp.ChainSettings(), state=state).samples
    np.testing.assert_array_equal(audio_of(client.events), expected)
    audio = [d for name, d in client.events if name == "audio"]
    assert [d["chunk"] for d in audio] == [0, 1, 2, 3, 4]
    assert [d["validSamples"] for d in audio] == [960] * 4 + [480]
    assert all(d["chunkSize"] == 960 and d["processed"] is True for d in audio)
    assert [d["timestamp"] - audio[0]["timestamp"] for d in audio] == [0, 20, 40, 60, 80]
    assert audio[-1]["metrics"]["lufs"] == pytest.approx(
        loudness.meter(expected, loudness.new_meter_state()))
    complete = client.events[-1][1]
    assert complete["totalChunks"] == 5
    assert complete["totalDuration"] == pytest.approx(0.09)
    assert complete["averageLatency"] > 0


def frames_counted(server, key) -> float:
    """The server's ``ai_mixer_frames_processed_total`` (its own /metrics)."""
    request = urllib.request.Request(f"http://{server[0]}:{server[1]}/metrics",
                                     headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our server)
        text = response.read().decode()
    return next(sample.value for family in text_string_to_metric_families(text)
                for sample in family.samples if sample.name == "ai_mixer_frames_processed_total")


def test_many_frames_in_one_body_message_are_sent_together_and_all_counted(server, alice_key):
    x = frames(40, seed=6).ravel()[: 39 * 960 + 100]  # 39 whole frames and a tail, one chunk
    before = frames_counted(server, alice_key)
    client = stream(server, alice_key, [x.astype("<f4").tobytes()])
    assert [name for name, _ in client.events] == ["audio"] * 40 + ["complete"]
    padded = np.concatenate([x, np.zeros(860, np.float32)])
    expected = dsp.process(padded, settings=dsp.ChainSettings(), state=dsp.new_state()).samples
    np.testing.assert_array_equal(audio_of(client.events), expected)
    audio = [d for name, d in client.events if name == "audio"]
    assert [d["chunk"] for d in audio] == list(range(40))
    assert audio[-1]["validSamples"] == 100
    assert frames_counted(server, alice_key) - before == 40  # Prometheus counts per batch


def test_events_arrive_while_the_body_is_still_being_sent(server, alice_key):
    x = frames(3, seed=2)
    with SseStreamClient(*server, key=alice_key) as client:
        for frame in x:
            client.send(frame.astype("<f4").tobytes())
        while len(client.events) < 3:  # the body is not finished yet
            client.read(wait=True)
        assert [name for name, _ in client.events] == ["audio"] * 3
        client.finish()
    assert client.events[-1] == ("complete", client.events[-1][1])


def test_config_header_sets_the_chain(server, alice_key):
    x = frames(2, seed=4)
    config = {"gain": -6, "eq": {"low": 6}}
    client = stream(server, alice_key, [x.astype("<f4").tobytes()],
                    headers={"X-Mixer-Config": json.dumps(config), "X-Stream-Id": "take-1"})
    expected = dsp.process(x.ravel(), settings=dsp.ChainSettings.from_dict(config),
                           state=dsp.new_state()).samples
    np.testing.assert_array_equal(audio_of(client.events), expected)
    assert client.events[-1][1]["sessionId"] == "take-1"


@pytest.mark.parametrize(("options", "status", "code"), [
    ({"key": None}, 401, "UNAUTHORIZED"),
    ({"key": "mx_not-a-key"}, 401, "UNAUTHORIZED"),
    ({"headers": {"Content-Type": "application/json"}}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ({"headers": {"X-Mixer-Config": "{nope"}}, 400, "INVALID_JSON"),
    ({"headers": {"X-Mixer-Config": '{"compressor": {"ratio": 50}}'}}, 400, "INVALID_CONFIG"),
    ({"headers": {"X-Stream-Id": "a b"}}, 400, "INVALID_STREAM_ID"),
    ({"headers": {"X-Sample-Rate": "44100"}}, 400, "INVALID_SAMPLE_RATE"),
    ({"method": "PUT"}, 405, "METHOD_NOT_ALLOWED"),
])
def test_refused_requests_answer_the_spec_error(server, alice_key, options, status, code):
    options = {"key": alice_key, **options}
    client = stream(server, options.pop("key"), [frames(1)[0].tobytes()], **options)
    assert_spec_error(client, status, code)


def test_bad_audio_before_and_after_the_first_event(server, alice_key):
    assert_spec_error(stream(server, alice_key, []), 400, "INVALID_BUFFER")  # empty body
    bad = frames(3, seed=5)
    bad[0, 10] = np.nan
    assert_spec_error(stream(server, alice_key, [bad.tobytes()]), 400, "NON_FINITE_SAMPLES")
    bad = frames(3, seed=5)
    bad[2, 10] = np.inf
    client = stream(server, alice_key, [f.tobytes() for f in bad])
    assert client.status == 200
    assert [name for name, _ in client.events] == ["audio", "audio", "error"]
    error = client.events[-1][1]["error"]
    assert set(error) == SPEC_ERROR_FIELDS
    assert (error["code"], error["details"]) == ("NON_FINITE_SAMPLES", {"chunk": 2})
    cut = stream(server, alice_key, [frames(1)[0].tobytes() + b"\x00\x00"])
    assert [name for name, _ in cut.events] == ["audio", "error"]
    assert cut.events[-1][1]["error"]["code"] == "INVALID_BUFFER"


def test_rate_limited_key_gets_403(server, alice_key, settings):
    key = ApiKey.objects.get()
    for _ in range(settings.MIXER_RATE_LIMITS["standard"]):
        rate_limit_hit(key=key)
    client = stream(server, alice_key, [frames(1)[0].tobytes()])
    assert_spec_error(client, 403, "RATE_LIMIT_EXCEEDED")
    assert int(client.headers["retry-after"]) >= 1


def test_mobile_token_streams_and_stats_count_the_stream(server, api):
    key = ApiKey.objects.get()
    token = mobile.token_issue(key=key, session_id="mob-1").token
    client = stream(server, token, [frames(2)[0:2].tobytes()])
    assert client.events[-1][0] == "complete"
    stats = api.get("/stats").json()
    assert stats["processing"]["totalSamples"] == 2 * 960
    assert stats["requests"]["total"] == 1  # the stream is one request


@pytest.mark.usefixtures("celery_worker")
def test_webhooks_on_completion_and_on_bad_audio(server, alice, alice_key, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    with Receiver() as receiver:
        endpoint = webhook_services.endpoint_create(owner=alice, url=receiver.url, events=[])
        stream(server, alice_key, [frames(3).tobytes()], headers={"X-Stream-Id": "sess-9"})
        bad = frames(2)
        bad[1, 0] = np.nan
        stream(server, alice_key, [bad.tobytes()], headers={"X-Stream-Id": "sess-10"})
        deliveries = wait_all_finished(endpoint, count=2)
    assert {d.status for d in deliveries} == {DeliveryStatus.SUCCEEDED}
    by_event = {}
    for headers, body in receiver.calls:
        assert signing.verify(secret=endpoint.secret, headers_=headers, body=body,
                              now=int(time.time()))
        payload = json.loads(body)
        by_event[payload["event"]] = payload["data"]
    assert by_event["processing.complete"]["sessionId"] == "sess-9"
    assert by_event["processing.complete"]["duration"] == pytest.approx(0.06)
    assert {"genre", "confidence"} <= set(by_event["processing.complete"])
    assert by_event["error.occurred"]["sessionId"] == "sess-10"
    assert by_event["error.occurred"]["code"] == "NON_FINITE_SAMPLES"


def wait_all_finished(endpoint, *, count: int, timeout: float = 60) -> list[WebhookDelivery]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliveries = list(WebhookDelivery.objects.filter(endpoint=endpoint))
        if len(deliveries) == count and all(d.status != DeliveryStatus.PENDING
                                            for d in deliveries):
            return deliveries
        time.sleep(0.05)
    raise AssertionError("the deliveries did not finish")


def audio_metrics(client: SseStreamClient) -> list[tuple[str | None, float | None]]:
    return [(d["metrics"]["genre"], d["metrics"]["confidence"])
            for name, d in client.events if name == "audio"]


def test_genre_auto_detects_the_genre_of_a_stream_and_fires_one_webhook(server, alice,
                                                                        alice_key, settings):
    x = music_frames()
    expected, expected_audio = genre_auto_reference(x)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    endpoint = webhook_services.endpoint_create(owner=alice, url="http://127.0.0.1:9/hook",
                                                events=["genre.detected"])
    # chunks of odd sizes: frames straddle them, and a large one makes batches of 32 events
    client = stream(server, alice_key, pieces(x.astype("<f4").tobytes(), [3840, 230_000, 999]),
                    headers={"X-Mixer-Config": json.dumps({"genre": "auto"}),
                             "X-Stream-Id": "gig-2"})
    assert client.events[-1][0] == "complete"
    answers = audio_metrics(client)
    assert answers == expected  # every 960-sample frame fed to the detector
    assert answers[148] == (None, None)
    genre, confidence = answers[149]
    assert genre == "rock"
    assert 0.5 < confidence <= 1
    np.testing.assert_array_equal(audio_of(client.events), expected_audio)
    [delivery] = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert delivery.payload["data"] == {"sessionId": "gig-2", "genre": "rock",
                                        "confidence": confidence}


def test_a_stream_without_auto_detects_nothing(server, alice, alice_key, settings):
    x = music_frames()
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    webhook_services.endpoint_create(owner=alice, url="http://127.0.0.1:9/hook", events=[])
    client = stream(server, alice_key, [x.astype("<f4").tobytes()])
    assert set(audio_metrics(client)) == {(None, None)}
    np.testing.assert_array_equal(audio_of(client.events), dsp.process(
        x.ravel(), settings=dsp.ChainSettings(), state=dsp.new_state()).samples)
    assert not WebhookDelivery.objects.filter(event="genre.detected").exists()


def test_genre_auto_without_the_model_file_is_a_503_that_says_how_to_make_it(
        alice_key, monkeypatch, tmp_path):
    def missing():
        raise GenreModelMissing(f"The genre model file {tmp_path}/genre_model.json is missing. "
                                "Train it with `python manage.py train_genre ...`")

    monkeypatch.setattr(stream_session, "load_model", missing)
    client = AsgiClient()  # in this process, so that the model file can be missing
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {alice_key}")
    response = client.post("/stream-audio", frames(2).tobytes(),
                           content_type="application/octet-stream",
                           HTTP_X_MIXER_CONFIG=json.dumps({"genre": "auto"}))
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert "train_genre" in error["message"]
