"""POST /mobile/session: validation, the signed token as a Bearer credential, expiry, forgery."""

import time

import numpy as np
import pytest
from django.core import signing
from rest_framework.test import APIClient

from mixer import dsp, mobile, services
from mixer.models import ApiKey
from tests.mixer.conftest import frames
from tests.mixer.test_auth import assert_spec_error

pytestmark = pytest.mark.django_db

DEVICE = {"deviceId": "iphone-15-abc", "platform": "ios", "sdkVersion": "1.2.0",
          "capabilities": {"sampleRate": 44100, "channels": 2, "bitDepth": 16}}


def session_for(api, body=None, path="/mobile/session") -> dict:
    response = api.post(path, body or DEVICE, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def device(token: str) -> APIClient:
    client = APIClient()
    client.credentials(**bearer(token))
    return client


@pytest.mark.parametrize("path", ["/mobile/session", "/v1/mobile/session"])
def test_session_has_a_token_an_expiry_and_the_device_config(api, settings, path):
    settings.MOBILE_TOKEN_TTL_S = 600
    api.put("/config", {"dsp": {"compressor": {"ratio": 6}}}, format="json")
    before = time.time() * 1000
    body = session_for(api, path=path)
    assert body["sessionId"].startswith("mob-")
    assert body["token"].startswith(mobile.TOKEN_PREFIX)
    assert before + 600_000 <= body["expiresAt"] <= time.time() * 1000 + 600_000
    config = body["config"]
    assert (config["sampleRate"], config["frameSize"], config["channels"]) == (48000, 960, 1)
    assert config["resample"] is True  # the device records at 44.1 kHz
    assert config["downmix"] is True  # in stereo
    assert config["dsp"]["compressor"]["ratio"] == 6  # the key's saved chain
    assert config["platform"] == "ios"


def test_a_48k_mono_device_needs_no_conversion(api):
    body = session_for(api, {**DEVICE, "capabilities": {"sampleRate": 48000, "channels": 1}})
    assert body["config"]["resample"] is False
    assert body["config"]["downmix"] is False


@pytest.mark.parametrize(("body", "field"), [
    ({**DEVICE, "platform": "windows"}, "platform"),
    ({k: v for k, v in DEVICE.items() if k != "deviceId"}, "deviceId"),
    ({**DEVICE, "sdkVersion": ""}, "sdkVersion"),
    ({**DEVICE, "capabilities": {"sampleRate": 0}}, "capabilities.sampleRate"),
    ({**DEVICE, "capabilities": {"channels": "two"}}, "capabilities.channels"),
    ({**DEVICE, "capabilities": {"bitDepth": 12}}, "capabilities.bitDepth"),
    ({**DEVICE, "capabilities": [1]}, "capabilities"),
])
def test_invalid_session_requests_name_the_field(api, body, field):
    error = assert_spec_error(api.post("/mobile/session", body, format="json"), 400,
                              "INVALID_PARAMETER")
    assert field in error["details"]["fields"]


def test_session_needs_an_api_key(api):
    assert_spec_error(APIClient().post("/mobile/session", DEVICE, format="json"), 401,
                      "UNAUTHORIZED")
    token = session_for(api)["token"]  # a session token cannot start another session
    assert_spec_error(device(token).post("/mobile/session", DEVICE, format="json"), 401,
                      "UNAUTHORIZED")


def test_token_works_as_the_issuing_key_on_the_mixer_endpoints(api, alice_key, key_client):
    token = session_for(api)["token"]
    frame = frames(1)[0]
    response = device(token).post("/process-audio", {"audioBuffer": frame.tolist()}, format="json")
    assert response.status_code == 200
    expected = dsp.process(frame, settings=dsp.ChainSettings(), state=dsp.new_state()).samples
    np.testing.assert_array_equal(np.array(response.json()["processedBuffer"], np.float32),
                                  expected)
    assert response["X-RateLimit-Limit"] == "1000"  # the key's tier
    # The key's own /stats counts the device's request.
    stats = key_client(alice_key).get("/stats").json()
    assert stats["processing"]["totalSamples"] == 960


def test_expired_token_is_401(api):
    key = ApiKey.objects.get()
    old = mobile.token_issue(key=key, session_id="mob-old", now=time.time() - 7200)
    response = device(old.token).get("/config")
    error = assert_spec_error(response, 401, "UNAUTHORIZED")
    assert "expired" in error["message"]


def test_forged_tokens_are_401(api, settings):
    key = ApiKey.objects.get()
    real = mobile.token_issue(key=key, session_id="mob-1").token
    tampered = real[:-3] + ("aaa" if not real.endswith("aaa") else "bbb")
    other_secret = mobile.TOKEN_PREFIX + signing.dumps(
        {"k": key.pk, "s": "x", "e": int(time.time() * 1000) + 10**6}, salt=mobile.SALT,
        key="not-our-secret-key")
    wrong_salt = mobile.TOKEN_PREFIX + signing.dumps(
        {"k": key.pk, "s": "x", "e": int(time.time() * 1000) + 10**6}, salt="other")
    for token in (tampered, other_secret, wrong_salt, mobile.TOKEN_PREFIX + "garbage"):
        error = assert_spec_error(device(token).get("/config"), 401, "UNAUTHORIZED")
        assert error["message"] == mobile.TOKEN_INVALID


def test_token_dies_with_its_key(api):
    key = ApiKey.objects.get()
    token = session_for(api)["token"]
    assert device(token).get("/config").status_code == 200
    services.api_key_revoke(key=key)
    assert_spec_error(device(token).get("/config"), 401, "UNAUTHORIZED")
