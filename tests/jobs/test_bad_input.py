"""Bad input gets the spec's error body and status, and leaves nothing on disk."""

import struct

import pytest

from audioservices.audio.errors import UNSUPPORTED_TYPE
from tests import signals
from tests.helpers import stored_files

pytestmark = pytest.mark.django_db




@pytest.fixture
def client(alice, client_for):
    before = stored_files()
    yield client_for(alice)
    assert stored_files() == before, "a rejected upload left a file behind"


def header_only_wav() -> bytes:
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 2, 44100, 44100 * 4, 4, 16)
    return b"RIFF" + struct.pack("<I", 36) + b"WAVE" + fmt + b"data" + struct.pack("<I", 0)


NOT_AUDIO = {
    "text.mp3": b"just some text, not audio at all",
    "image.wav": b"\x89PNG\r\n\x1a\n" + b"\0" * 200,
    "playlist.m4a": b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n",
    "page.mp3": b"<!doctype html><html><body>hi</body></html>",
    "empty.wav": b"",
    "header-only.wav": header_only_wav(),
    "truncated.flac": b"fLaC\x00\x00\x00\x22" + b"\x10" * 10,
}


@pytest.mark.parametrize("service", ["denoise", "boost"])
def test_missing_file_is_400(client, service):
    response = client.post(f"/api/{service}/upload/", {"boost_level": "2x"})
    assert response.status_code == 400
    assert response.json()["status"] == "error"
    expected = "No audio file provided" if service == "denoise" else "No file provided"
    assert response.json()["message"] == expected


@pytest.mark.parametrize("service", ["denoise", "boost"])
@pytest.mark.parametrize("name", list(NOT_AUDIO))
def test_what_is_not_audio_is_415(client, service, name):
    response = client.post(f"/api/{service}/upload/",
                           {"audio_file": signals.upload(NOT_AUDIO[name], name)})
    assert response.status_code == 415, response.content
    assert response.json()["status"] == "error"
    if name in ("text.mp3", "image.wav", "playlist.m4a", "page.mp3"):
        assert response.json()["message"] == UNSUPPORTED_TYPE


def test_over_the_size_limit_is_413(client, settings, tmp_path):
    settings.UPLOAD_MAX_BYTES = 100_000
    data = signals.encoded(signals.tone(3.0), sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    response = client.post("/api/boost/upload/", {"audio_file": signals.upload(data, "big.wav")})
    assert response.status_code == 413
    assert response.json() == {"status": "error", "message": "File too large: the limit is 0.1 MB.",
                               "error": "File too large: the limit is 0.1 MB."}


def test_over_the_duration_limit_is_400(client, settings, tmp_path):
    settings.MAX_DURATION_S = 2.0
    data = signals.encoded(signals.tone(3.0), sample_rate=44100, fmt="flac", tmp_path=tmp_path)
    response = client.post("/api/denoise/upload/", {"audio_file": signals.upload(data, "long.flac")})
    assert response.status_code == 400
    assert "limit is 2 s" in response.json()["message"]


@pytest.mark.parametrize(("service", "level"), [("denoise", "6x"), ("boost", "none"), ("boost", "loud")])
def test_unknown_boost_level_is_400(client, tmp_path, service, level):
    data = signals.encoded(signals.tone(1.0), sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    response = client.post(f"/api/{service}/upload/",
                           {"audio_file": signals.upload(data, "a.wav"), "boost_level": level})
    assert response.status_code == 400
    assert "boost_level" in response.json()["message"]
