"""GET /wasm and /v1/wasm (public, cacheable, conditional) and the /mixer/live page."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.test import Client

from mixer.presets import GENRES
from mixer.wasm_module import MODULE_PATH

WASM_URLS = ["/wasm", "/v1/wasm"]
MODULE = MODULE_PATH.read_bytes()
ETAG = f'"{hashlib.sha256(MODULE).hexdigest()}"'


@pytest.mark.parametrize("url", WASM_URLS)
def test_module_is_served_with_the_spec_headers(client: Client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == MODULE
    assert response["Content-Type"] == "application/wasm"
    assert response["Content-Length"] == str(len(MODULE))
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["ETag"] == ETAG
    assert "Cookie" not in response.get("Vary", "")


@pytest.mark.parametrize("url", WASM_URLS)
@pytest.mark.parametrize("if_none_match", [ETAG, f"W/{ETAG}", f'"other", {ETAG}', "*"])
def test_matching_etag_answers_304(client: Client, url, if_none_match):
    response = client.get(url, HTTP_IF_NONE_MATCH=if_none_match)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == ETAG
    assert response["Cache-Control"] == "public, max-age=86400"


@pytest.mark.parametrize("if_none_match", ['"0123"', ETAG.strip('"'), ""])
def test_other_etag_gets_the_module(client: Client, if_none_match):
    response = client.get("/wasm", HTTP_IF_NONE_MATCH=if_none_match)
    assert response.status_code == 200
    assert response.content == MODULE


def test_head_has_headers_and_no_body(client: Client):
    response = client.head("/wasm")
    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(len(MODULE))


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_writes_are_not_allowed(client: Client, method):
    assert getattr(client, method)("/wasm").status_code == 405


def test_live_page_needs_a_login(client: Client):
    response = client.get("/mixer/live")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/mixer/live"


def test_live_page_carries_the_chain_config(client: Client, alice):
    client.force_login(alice)
    response = client.get("/mixer/live")
    assert response.status_code == 200
    config = response.context["mixer_config"]
    assert config["wasmUrl"] == f"/wasm?v={ETAG.strip(chr(34))[:16]}"
    assert (config["sampleRate"], config["frameSize"]) == (48000, 960)
    assert set(config["presets"]) == set(GENRES)
    sections = {field["key"]: field for field in config["schema"]}
    assert [f["key"] for f in sections["compressor"]["fields"]] == [
        "enabled",
        "ratio",
        "threshold",
        "attack",
        "release",
        "knee",
        "makeupGain",
    ]
    assert {"key": "ratio", "kind": "number", "min": 1.0, "max": 20.0, "unit": ":1"} in sections[
        "compressor"
    ]["fields"]
    embedded = response.content.decode().split('id="mixer-config" type="application/json">')[1]
    assert json.loads(embedded.split("</script>")[0]) == config
