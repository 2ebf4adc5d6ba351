"""GET/PUT /config: validated, persisted per API key, and used by /process-audio."""

import pytest

from mixer import dsp, genre_auto
from tests.mixer.conftest import frames
from tests.mixer.test_auth import assert_spec_error

pytestmark = pytest.mark.django_db


def test_defaults_describe_the_chain(api):
    body = api.get("/config").json()
    assert body["audio"] == {"sampleRate": 48000, "frameSize": 960, "bitDepth": 32}
    assert body["dsp"] == dsp.ChainSettings().to_dict()
    assert body["ai"]["genres"] == ["speech", "rock", "jazz", "electronic", "classical"]
    assert body["ai"]["modelVersion"] == genre_auto.model_version() == "1.0.0"  # committed model


def test_put_merges_and_persists_per_key(api, alice, make_key, key_client):
    response = api.put("/v1/config", {"dsp": {"compressor": {"ratio": 6, "threshold": -18}}},
                       format="json")
    assert response.status_code == 200
    saved = response.json()["dsp"]["compressor"]
    assert (saved["ratio"], saved["threshold"], saved["attack"]) == (6, -18, 10)
    api.put("/config", {"dsp": {"eq": {"low": 3}}}, format="json")
    again = api.get("/config").json()["dsp"]
    assert (again["compressor"]["ratio"], again["eq"]["low"]) == (6, 3)
    other = key_client(make_key(alice, name="second")).get("/config").json()["dsp"]
    assert other == dsp.ChainSettings().to_dict()


def test_process_audio_starts_from_the_saved_config(api):
    api.put("/config", {"dsp": {"limiter": {"ceiling": -3}, "gain": 4}}, format="json")
    body = api.post("/process-audio", {"audioBuffer": frames(1)[0].tolist(),
                                       "config": {"eq": {"mid": 2}}}, format="json").json()
    applied = body["appliedSettings"]
    assert (applied["limiter"]["ceiling"], applied["gain"], applied["eq"]["mid"]) == (-3, 4, 2)


@pytest.mark.parametrize(("body", "status", "code", "fields"), [
    ({"dsp": {"compressor": {"ratio": 0.5}}}, 400, "INVALID_CONFIG",
     {"dsp.compressor.ratio": "must be between 1 and 20"}),
    ({"dsp": {"limiter": {"ceiling": 1, "release": 0}}}, 400, "INVALID_CONFIG",
     {"dsp.limiter.release": "must be between 1 and 1000",
      "dsp.limiter.ceiling": "must be between -3 and 0"}),
    ({"dsp": {"limiter": {"bogus": 2}}}, 400, "INVALID_CONFIG",
     {"dsp.limiter.bogus": "unknown field"}),
    ({"dsp": "loud"}, 400, "INVALID_CONFIG", {"dsp": "must be an object"}),
    ({"ai": {"modelVersion": "2"}}, 400, "INVALID_CONFIG", {"ai": "read-only"}),
    ({"colour": "red"}, 400, "INVALID_CONFIG", {"colour": "unknown field"}),
    ({"audio": {"bitDepth": 16}}, 400, "INVALID_CONFIG", {"audio.bitDepth": "fixed at 32"}),
    ({"audio": {"sampleRate": 44100}}, 400, "INVALID_SAMPLE_RATE", None),
    ({"audio": {"frameSize": 480}}, 400, "INVALID_BUFFER_SIZE", None),
])
def test_invalid_updates_are_refused_and_change_nothing(api, body, status, code, fields):
    error = assert_spec_error(api.put("/config", body, format="json"), status, code)
    if fields is not None:
        assert error["details"] == {"fields": fields}
    assert api.get("/config").json()["dsp"] == dsp.ChainSettings().to_dict()


def test_put_restating_the_audio_format_is_fine(api):
    response = api.put("/config", {"audio": {"sampleRate": 48000, "frameSize": 960}},
                       format="json")
    assert response.status_code == 200
