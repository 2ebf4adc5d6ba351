"""/ws: every message type and bad messages, over the real ASGI app (real DB and Redis)."""

import json
import time

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from audioservices.asgi import application
from mixer import dsp, loudness, metrics, stream_session
from mixer.genre import GenreModelMissing
from mixer.presets import preset_for
from tests.mixer.conftest import frames, genre_auto_reference, music_frames, pieces
from tests.webhooks.receiver import Receiver
from webhooks import services as webhook_services
from webhooks import signing
from webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)
SPEC_ERROR_FIELDS = {"code", "message", "details", "timestamp", "requestId"}


def chain_over(x: np.ndarray, config: dict | None = None) -> np.ndarray:
    """The reference: one chain state over the frames, in order."""
    settings, state = dsp.ChainSettings.from_dict(config or {}), dsp.new_state()
    return np.concatenate([dsp.process(f, settings=settings, state=state).samples for f in x])


def run(scenario) -> None:
    async_to_sync(scenario)()


async def connect(path: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, path)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def ask(socket, message: dict) -> dict:
    await socket.send_json_to(message)
    return await socket.receive_json_from(timeout=10)


def assert_error(reply: dict, code: str, message_id=None) -> dict:
    assert reply["type"] == "error", reply
    assert reply["id"] == message_id
    assert set(reply["error"]) == SPEC_ERROR_FIELDS
    assert reply["error"]["code"] == code
    return reply["error"]


async def still_open(socket) -> None:
    pong = await ask(socket, {"type": "ping", "id": "alive"})
    assert (pong["type"], pong["id"]) == ("pong", "alive")


@pytest.mark.parametrize("path", ["/ws", "/v1/ws", "/ws/"])
def test_key_in_the_query_then_ping_pong_with_the_id(alice_key, path):
    async def scenario():
        socket = await connect(f"{path}?key={alice_key}")
        pong = await ask(socket, {"type": "ping", "id": "msg-1"})
        assert pong["type"] == "pong"
        assert pong["id"] == "msg-1"
        assert abs(pong["data"]["timestamp"] - time.time() * 1000) < 60_000
        await socket.disconnect()

    run(scenario)


def test_key_in_a_first_auth_message(alice_key):
    async def scenario():
        socket = await connect("/ws")
        assert_error(await ask(socket, {"type": "ping", "id": 1}), "UNAUTHORIZED", 1)
        assert_error(await ask(socket, {"type": "auth", "id": 2, "data": {"key": "mx_wrong"}}),
                     "UNAUTHORIZED", 2)
        reply = await ask(socket, {"type": "auth", "id": 3, "data": {"key": alice_key}})
        assert reply == {"type": "auth", "id": 3, "data": {"authenticated": True,
                                                           "tier": "standard"}}
        assert_error(await ask(socket, {"type": "auth", "id": 4, "data": {"key": alice_key}}),
                     "INVALID_MESSAGE", 4)
        await still_open(socket)
        await socket.disconnect()

    run(scenario)


def test_bad_key_in_the_query_is_refused_and_closed():
    async def scenario():
        socket = await connect("/ws?key=mx_nope")
        assert_error(await socket.receive_json_from(), "UNAUTHORIZED")
        assert (await socket.receive_output(timeout=5))["code"] == 4401
        await socket.wait()

    run(scenario)


def test_mobile_token_authenticates_too(api):
    token = api.post("/mobile/session", {"deviceId": "d", "platform": "android",
                                         "sdkVersion": "2.0"}, format="json").json()["token"]

    async def scenario():
        socket = await connect(f"/ws?key={token}")
        await still_open(socket)
        await socket.disconnect()

    run(scenario)


def test_process_frames_continue_one_chain_and_take_per_frame_config(alice_key):
    x = frames(3)
    config = {"gain": 6, "compressor": {"ratio": 8}}

    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        outs = []
        before = frames_counted()
        for i, frame in enumerate(x[:2]):
            reply = await ask(socket, {"type": "process", "id": f"p{i}",
                                       "data": {"audioBuffer": frame.tolist()}})
            assert (reply["type"], reply["id"]) == ("processed", f"p{i}")
            outs.append(reply["data"]["processedBuffer"])
        assert set(reply["data"]["metrics"]) == {"peak", "rms", "lufs", "genre", "confidence",
                                                 "processingTime"}
        np.testing.assert_array_equal(np.array(outs, np.float32).ravel(), chain_over(x[:2]))
        assert frames_counted() - before == 2
        one = await ask(socket, {"type": "process", "id": "c",
                                 "data": {"audioBuffer": x[0].tolist(), "config": config}})
        assert one["data"]["appliedSettings"]["compressor"]["ratio"] == 8
        await socket.disconnect()

    run(scenario)


def test_config_changes_the_connections_chain(alice_key):
    frame = frames(1)[0]

    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        reply = await ask(socket, {"type": "config", "id": "cfg",
                                   "data": {"gain": -12, "compressor": {"enabled": False}}})
        assert (reply["type"], reply["id"]) == ("config", "cfg")
        assert reply["data"]["appliedSettings"]["gain"] == -12
        out = await ask(socket, {"type": "process", "id": 1,
                                 "data": {"audioBuffer": frame.tolist()}})
        expected = chain_over(frame[None], {"gain": -12, "compressor": {"enabled": False}})
        np.testing.assert_array_equal(np.array(out["data"]["processedBuffer"], np.float32),
                                      expected)
        error = assert_error(await ask(socket, {"type": "config", "id": "bad",
                                                "data": {"compressor": {"ratio": 99}}}),
                             "INVALID_CONFIG", "bad")
        assert "config.compressor.ratio" in error["details"]["fields"]
        await socket.disconnect()

    run(scenario)


def test_stream_binary_frames_in_and_out_then_stop(alice, alice_key, settings):
    x = frames(4, seed=3)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    webhook_services.endpoint_create(owner=alice, url="http://127.0.0.1:9/hook",
                                     events=["processing.complete"])

    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        started = await ask(socket, {"type": "stream", "id": "s1",
                                     "data": {"sessionId": "take-7"}})
        assert started == {"type": "stream", "id": "s1", "data": {
            "sessionId": "take-7", "frameSize": 960, "sampleRate": 48000,
            "format": "float32le"}}
        outs, lufs = [], []
        for i, frame in enumerate(x):
            await socket.send_to(bytes_data=frame.astype("<f4").tobytes())
            outs.append(np.frombuffer(await socket.receive_from(timeout=10), "<f4"))
            report = await socket.receive_json_from(timeout=10)
            assert (report["type"], report["id"], report["data"]["chunk"]) == ("metrics", "s1", i)
            lufs.append(report["data"]["metrics"]["lufs"])
        np.testing.assert_array_equal(np.concatenate(outs), chain_over(x))
        meter = loudness.new_meter_state()
        assert lufs[-1] == pytest.approx(loudness.meter(chain_over(x), meter))
        done = await ask(socket, {"type": "stop", "id": "end"})
        assert (done["type"], done["id"]) == ("complete", "end")
        assert done["data"]["totalChunks"] == 4
        assert done["data"]["totalDuration"] == pytest.approx(0.08)
        assert done["data"]["averageLatency"] > 0
        await socket.disconnect()

    run(scenario)
    [delivery] = WebhookDelivery.objects.filter(event="processing.complete")
    assert delivery.payload["data"]["sessionId"] == "take-7"
    assert delivery.payload["data"]["duration"] == pytest.approx(0.08)
    assert {"genre", "confidence"} <= set(delivery.payload["data"])


async def receive_answer(socket) -> tuple[np.ndarray, dict]:
    """One binary answer and its metrics message."""
    processed = np.frombuffer(await socket.receive_from(timeout=10), "<f4")
    return processed, await socket.receive_json_from(timeout=10)


def frames_counted() -> float:
    return metrics.FRAMES._value.get()


def test_a_binary_message_may_carry_several_frames(alice_key):
    x = frames(6, seed=8)

    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        await ask(socket, {"type": "stream", "id": "s"})
        before = frames_counted()
        outs = []
        for batch in (x[0:3], x[3:4], x[4:6]):  # 3 frames, then the 1-frame form, then 2
            await socket.send_to(bytes_data=batch.astype("<f4").tobytes())
            processed, report = await receive_answer(socket)
            assert processed.size == batch.size
            outs.append(processed)
            assert (report["type"], report["id"]) == ("metrics", "s")
            if len(batch) == 1:  # exactly the documented 1-frame message
                assert set(report["data"]) == {"chunk", "timestamp", "chunkSize", "processed",
                                               "metrics"}
                assert report["data"]["chunk"] == 3
            else:
                entries = report["data"]["frames"]
                assert [e["chunk"] for e in entries] == ([0, 1, 2] if len(batch) == 3 else [4, 5])
                assert entries[1]["timestamp"] - entries[0]["timestamp"] == 20
                assert all(set(e) == {"chunk", "timestamp", "chunkSize", "processed", "metrics"}
                           for e in entries)
        np.testing.assert_array_equal(np.concatenate(outs), chain_over(x))
        assert frames_counted() - before == 6
        done = await ask(socket, {"type": "stop", "id": "end"})
        assert done["data"]["totalChunks"] == 6
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("samples", [480, 961, 960 * 2 - 1, 960 * 51])
def test_a_bad_batch_size_gets_the_spec_error_and_the_stream_goes_on(alice_key, samples):
    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        await ask(socket, {"type": "stream", "id": "s"})
        await socket.send_to(bytes_data=np.zeros(samples, "<f4").tobytes())
        error = assert_error(await socket.receive_json_from(timeout=10), "INVALID_BUFFER_SIZE")
        assert error["details"] == {"expected": 960, "received": samples,
                                    "receivedBytes": samples * 4}
        assert "up to 50 whole frames" in error["message"]
        await still_open(socket)
        await socket.send_to(bytes_data=frames(2).astype("<f4").tobytes())
        processed, report = await receive_answer(socket)
        assert processed.size == 2 * 960
        assert [e["chunk"] for e in report["data"]["frames"]] == [0, 1]
        await socket.disconnect()

    run(scenario)


def test_a_non_finite_frame_in_a_batch_is_dropped_and_the_rest_processed(alice_key):
    x = frames(3, seed=9)
    bad = x.copy()
    bad[1, 7] = np.inf

    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        await ask(socket, {"type": "stream", "id": "s"})
        await socket.send_to(bytes_data=bad.astype("<f4").tobytes())
        processed, report = await receive_answer(socket)
        np.testing.assert_array_equal(processed, chain_over(x[[0, 2]]))
        assert [e["chunk"] for e in report["data"]["frames"]] == [0, 1]
        error = assert_error(await socket.receive_json_from(timeout=10), "NON_FINITE_SAMPLES")
        assert error["details"] == {"chunk": 1}
        done = await ask(socket, {"type": "stop", "id": "end"})
        assert done["data"]["totalChunks"] == 2
        await socket.disconnect()

    run(scenario)


def test_batches_through_the_production_server(server, alice_key):
    """uvicorn's WebSocket protocol as runservice configures it, with a real client."""
    from websockets.sync.client import connect

    x = frames(5, seed=10)
    with connect(f"ws://{server[0]}:{server[1]}/v1/ws?key={alice_key}", max_size=None) as sock:
        sock.send(json.dumps({"type": "stream", "id": "s"}))
        assert json.loads(sock.recv(timeout=30))["type"] == "stream"
        outs = []
        for batch in (x[:4], x[4:]):
            sock.send(batch.astype("<f4").tobytes())
            outs.append(np.frombuffer(sock.recv(timeout=30), "<f4"))
            assert json.loads(sock.recv(timeout=30))["type"] == "metrics"
        sock.send(np.zeros(100, "<f4").tobytes())
        assert json.loads(sock.recv(timeout=30))["error"]["code"] == "INVALID_BUFFER_SIZE"
        sock.send(json.dumps({"type": "stop", "id": "end"}))
        assert json.loads(sock.recv(timeout=30))["data"]["totalChunks"] == 5
    np.testing.assert_array_equal(np.concatenate(outs), chain_over(x))


def text(message) -> dict:
    return {"text_data": json.dumps(message)}


@pytest.mark.parametrize(("send", "code", "reply_id"), [
    ({"text_data": "{not json"}, "INVALID_JSON", None),
    (text([1, 2]), "INVALID_MESSAGE", None),
    (text({"id": 9}), "INVALID_MESSAGE", 9),
    (text({"type": "dance", "id": 9}), "INVALID_MESSAGE", 9),
    (text({"type": "ping", "id": 9, "data": [1]}), "INVALID_MESSAGE", 9),
    (text({"type": "process", "id": 9, "data": {"audioBuffer": [0.1] * 5}}),
     "INVALID_BUFFER_SIZE", 9),
    (text({"type": "process", "id": 9, "data": {}}), "INVALID_BUFFER", 9),
    (text({"type": "process", "id": 9, "data": {"audioBuffer": [0.0] * 960,
                                                "sampleRate": 44100}}), "INVALID_SAMPLE_RATE", 9),
    (text({"type": "process", "id": 9, "data": {"audioBuffer": [0.0] * 960,
                                                "config": {"genre": "polka"}}}),
     "INVALID_CONFIG", 9),
    (text({"type": "stop", "id": 9}), "NO_ACTIVE_STREAM", 9),
    (text({"type": "stream", "id": 9, "data": {"sessionId": "a b"}}), "INVALID_STREAM_ID", 9),
    ({"bytes_data": np.zeros(960, "<f4").tobytes()}, "NO_ACTIVE_STREAM", None),
])
def test_bad_messages_get_a_spec_error_and_the_socket_stays_open(alice_key, send, code,
                                                                 reply_id):
    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        await socket.send_to(**send)
        assert_error(await socket.receive_json_from(timeout=10), code, reply_id)
        await still_open(socket)
        await socket.disconnect()

    run(scenario)


def test_bad_frames_during_a_stream(alice_key):
    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        await ask(socket, {"type": "stream", "id": "s"})
        assert_error(await ask(socket, {"type": "stream", "id": "again"}),
                     "STREAM_ALREADY_ACTIVE", "again")
        await socket.send_to(bytes_data=np.zeros(100, "<f4").tobytes())
        error = assert_error(await socket.receive_json_from(timeout=10), "INVALID_BUFFER_SIZE")
        assert error["details"] == {"expected": 960, "received": 100, "receivedBytes": 400}
        bad = np.zeros(960, "<f4")
        bad[5] = np.nan
        await socket.send_to(bytes_data=bad.tobytes())
        assert_error(await socket.receive_json_from(timeout=10), "NON_FINITE_SAMPLES")
        await socket.send_to(bytes_data=np.zeros(960, "<f4").tobytes())  # the stream goes on
        assert len(await socket.receive_from(timeout=10)) == 960 * 4
        assert (await socket.receive_json_from(timeout=10))["data"]["chunk"] == 0
        done = await ask(socket, {"type": "stop", "id": "end"})
        assert done["data"]["totalChunks"] == 1
        await socket.disconnect()

    run(scenario)


def test_messages_count_against_the_keys_rate_limit(alice_key, settings):
    settings.MIXER_RATE_LIMITS = {**settings.MIXER_RATE_LIMITS, "standard": 3}

    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        await ask(socket, {"type": "stream", "id": 1})
        for _ in range(5):  # binary frames of a started stream are not requests
            await socket.send_to(bytes_data=np.zeros(960, "<f4").tobytes())
            await socket.receive_from(timeout=10)
            await socket.receive_json_from(timeout=10)
        assert (await ask(socket, {"type": "ping", "id": 2}))["type"] == "pong"
        assert (await ask(socket, {"type": "stop", "id": 3}))["type"] == "complete"
        error = assert_error(await ask(socket, {"type": "ping", "id": 4}),
                             "RATE_LIMIT_EXCEEDED", 4)
        assert error["details"]["retryAfter"] >= 1
        await socket.disconnect()

    run(scenario)


@pytest.mark.usefixtures("celery_worker")
def test_stop_delivers_a_signed_processing_complete_webhook(alice, alice_key, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    with Receiver() as receiver:
        endpoint = webhook_services.endpoint_create(owner=alice, url=receiver.url, events=[])

        async def scenario():
            socket = await connect(f"/ws?key={alice_key}")
            await ask(socket, {"type": "stream", "id": "s", "data": {"sessionId": "sess-123"}})
            for frame in frames(3):
                await socket.send_to(bytes_data=frame.tobytes())
                await socket.receive_from(timeout=10)
                await socket.receive_json_from(timeout=10)
            await ask(socket, {"type": "stop", "id": "end"})
            await socket.disconnect()

        run(scenario)
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        deadline = time.monotonic() + 60
        while delivery.status == DeliveryStatus.PENDING and time.monotonic() < deadline:
            time.sleep(0.05)
            delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SUCCEEDED
    [(headers, body)] = receiver.calls
    assert signing.verify(secret=endpoint.secret, headers_=headers, body=body,
                          now=int(time.time()))
    payload = json.loads(body)
    assert payload["event"] == "processing.complete"
    assert payload["data"]["sessionId"] == "sess-123"
    assert payload["data"]["duration"] == pytest.approx(0.06)


async def stream_through(socket, x: np.ndarray, config: dict, session_id: str
                         ) -> tuple[np.ndarray, list[dict]]:
    """Stream ``x`` in mixed batch sizes, then stop: (processed audio, one metrics entry per
    frame)."""
    await ask(socket, {"type": "stream", "id": "s", "data": {"sessionId": session_id,
                                                            "config": config}})
    outs, entries = [], []
    for batch in pieces(x, [1, 16, 50, 2, 7]):
        await socket.send_to(bytes_data=batch.astype("<f4").tobytes())
        processed, report = await receive_answer(socket)
        outs.append(processed)
        entries.extend(report["data"]["frames"] if len(batch) > 1 else [report["data"]])
    assert (await ask(socket, {"type": "stop", "id": "end"}))["type"] == "complete"
    return np.concatenate(outs), entries


def test_genre_auto_detects_the_genre_of_a_stream_and_fires_one_webhook(alice, alice_key,
                                                                        settings):
    x = music_frames()
    expected, expected_audio = genre_auto_reference(x)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    endpoint = webhook_services.endpoint_create(
        owner=alice, url="http://127.0.0.1:9/hook",
        events=["genre.detected", "processing.complete"])
    got = {}

    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        got["audio"], got["entries"] = await stream_through(socket, x, {"genre": "auto"},
                                                            "gig-1")
        await socket.disconnect()

    run(scenario)
    answers = [(e["metrics"]["genre"], e["metrics"]["confidence"]) for e in got["entries"]]
    assert [e["chunk"] for e in got["entries"]] == list(range(len(x)))
    assert answers == expected  # every frame fed to the detector, whatever the batch form
    assert answers[148] == (None, None)  # under 3 s: no guess
    genre, confidence = answers[149]
    assert genre == "rock"
    assert 0.5 < confidence <= 1
    # the chain switches to the detected genre's preset on the frame that detected it
    np.testing.assert_array_equal(got["audio"], expected_audio)
    by_event = {d.event: d.payload["data"]
                for d in WebhookDelivery.objects.filter(endpoint=endpoint)}
    assert WebhookDelivery.objects.filter(event="genre.detected").count() == 1
    assert by_event["genre.detected"] == {"sessionId": "gig-1", "genre": "rock",
                                          "confidence": confidence}
    assert (by_event["processing.complete"]["genre"],
            by_event["processing.complete"]["confidence"]) == answers[-1]


def test_a_config_message_during_an_auto_stream_reports_the_detected_genres_settings(
        alice_key):
    """Before detection "auto" runs on the key's settings, after it on the genre's preset:
    the reply to a config message says which, as the next frame will get them."""
    x = music_frames()
    change = {"genre": "auto", "limiter": {"ceiling": -3.0}}
    got = {}

    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        await ask(socket, {"type": "stream", "id": "s", "data": {"config": {"genre": "auto"}}})
        got["before"] = (await ask(socket, {"type": "config", "id": "c1", "data": change}))
        for batch in pieces(x, [50]):
            await socket.send_to(bytes_data=batch.astype("<f4").tobytes())
            await receive_answer(socket)
        got["after"] = (await ask(socket, {"type": "config", "id": "c2", "data": change}))
        await socket.disconnect()

    run(scenario)
    expected = {
        "before": dsp.ChainSettings.from_dict(change).to_dict(),
        "after": dsp.ChainSettings.from_dict(change, base=preset_for("rock")).to_dict(),
    }
    assert expected["before"] != expected["after"]
    for moment in ("before", "after"):
        assert got[moment]["type"] == "config"
        assert got[moment]["data"]["appliedSettings"] == expected[moment]


@pytest.mark.parametrize(("config", "reported"), [({}, (None, None)),
                                                  ({"genre": "jazz"}, ("jazz", None))])
def test_a_stream_without_auto_reports_its_preset_and_detects_nothing(alice, alice_key,
                                                                      settings, config,
                                                                      reported):
    x = music_frames()
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    webhook_services.endpoint_create(owner=alice, url="http://127.0.0.1:9/hook", events=[])
    got = {}

    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        got["audio"], got["entries"] = await stream_through(socket, x, config, "plain-1")
        await socket.disconnect()

    run(scenario)
    assert {(e["metrics"]["genre"], e["metrics"]["confidence"])
            for e in got["entries"]} == {reported}
    preset = preset_for(config["genre"]).to_dict() if config else {}
    np.testing.assert_array_equal(got["audio"], chain_over(x, preset))
    assert not WebhookDelivery.objects.filter(event="genre.detected").exists()


def test_genre_auto_without_the_model_file_is_a_clear_error_on_every_path(alice_key,
                                                                          monkeypatch, tmp_path):
    def missing():
        raise GenreModelMissing(f"The genre model file {tmp_path}/genre_model.json is missing. "
                                "Train it with `python manage.py train_genre ...`")

    monkeypatch.setattr(stream_session, "load_model", missing)
    auto = {"genre": "auto"}

    async def scenario():
        socket = await connect(f"/ws?key={alice_key}")
        for message in ({"type": "stream", "id": 1, "data": {"config": auto}},
                        {"type": "config", "id": 2, "data": auto},
                        {"type": "process", "id": 3, "data": {
                            "audioBuffer": [0.0] * 960, "config": auto}}):
            error = assert_error(await ask(socket, message), "SERVICE_UNAVAILABLE",
                                 message["id"])
            assert "train_genre" in error["message"]
        # nothing was applied: the connection streams with its own settings
        x = frames(2)
        await ask(socket, {"type": "stream", "id": "s"})
        await socket.send_to(bytes_data=x.astype("<f4").tobytes())
        processed, report = await receive_answer(socket)
        np.testing.assert_array_equal(processed, chain_over(x))
        assert report["data"]["frames"][0]["metrics"]["genre"] is None
        await socket.disconnect()

    run(scenario)
