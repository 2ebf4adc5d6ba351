"""Upload through the API; a real worker process takes the job from the real broker."""

import numpy as np
import pytest
import soundfile as sf

from audioservices.audio.io import decode
from audioservices.audio.validate import probe
from tests import signals
from tests.helpers import media_path, wait_for_job

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("celery_worker")]

OUTPUT_URL = {"denoise": "denoised_url", "boost": "boosted_url"}


def _output(body: dict, service: str):
    path = media_path(body[OUTPUT_URL[service]])
    info = probe(path, max_duration_s=3600)
    return info, decode(path, info=info, max_duration_s=3600)


@pytest.mark.parametrize("service", ["denoise", "boost"])
@pytest.mark.parametrize(("fmt", "rate", "channels"),
                         [("wav", 44100, 2), ("mp3", 44100, 2), ("m4a", 48000, 1), ("flac", 22050, 1)])
def test_job_completes_and_output_keeps_the_input_shape(
    tmp_path, alice, client_for, service, fmt, rate, channels
):
    client = client_for(alice)
    audio = signals.tone(3.0, sample_rate=rate, channels=channels, amplitude=0.05)
    data = signals.encoded(audio, sample_rate=rate, fmt=fmt, tmp_path=tmp_path)
    response = client.post(f"/api/{service}/upload/",
                           {"audio_file": signals.upload(data, f"talk.{fmt}"), "boost_level": "2x"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "success"
    body = wait_for_job(client, service, response.json()["file_id"])
    assert body["status"] == "completed", body
    assert body["progress"] == 100
    assert body[OUTPUT_URL[service]].endswith(f"_{OUTPUT_URL[service][:-4]}.{fmt}")
    info, output = _output(body, service)
    assert (info.format, info.sample_rate, info.channels) == (fmt, rate, channels)
    assert output.shape[1] / rate == pytest.approx(3.0, abs=0.1)  # AAC/MP3 priming
    assert body["duration"] == "00:03"
    assert body["report"]["gain_requested_db"] == 6.0


def test_boosted_output_is_louder_by_the_level(tmp_path, alice, client_for):
    client = client_for(alice)
    audio = signals.speech(44100)[None, :] * 0.05
    data = signals.encoded(audio, sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    file_id = client.post("/api/boost/upload/", {"audio_file": signals.upload(data, "q.wav"),
                                                  "boost_level": "5x"}).json()["file_id"]
    body = wait_for_job(client, "boost", file_id)
    assert body["boost_level"] == "5x"
    assert body["report"]["gain_applied_db"] == pytest.approx(14.0, abs=0.5)
    _, output = _output(body, "boost")
    assert np.abs(output).max() == pytest.approx(np.abs(audio).max() * 10 ** (14 / 20), rel=0.05)


def test_denoise_job_improves_a_noisy_recording(tmp_path, alice, client_for):
    client = client_for(alice)
    clean = signals.speech(16000)
    noisy = signals.mix_at_snr(clean, signals.noise(16000, clean.size), 0.0)
    path = tmp_path / "noisy.flac"
    sf.write(str(path), noisy, 16000, subtype="PCM_24")
    file_id = client.post("/api/denoise/upload/",
                          {"audio_file": signals.upload(path.read_bytes(), "noisy.flac")}
                          ).json()["file_id"]
    body = wait_for_job(client, "denoise", file_id)
    assert body["boost_level"] == "none"
    _, output = _output(body, "denoise")
    assert signals.si_sdr(output[0], clean) > signals.si_sdr(noisy, clean) + 3.0


def test_a_corrupt_file_that_passes_the_probe_ends_failed_with_a_message(tmp_path, alice, client_for):
    audio = signals.tone(1.0, channels=1)
    audio[0, 10] = np.inf
    path = tmp_path / "inf.wav"
    sf.write(str(path), audio.T, 44100, subtype="FLOAT")
    client = client_for(alice)
    response = client.post("/api/boost/upload/", {"audio_file": signals.upload(path.read_bytes(), "inf.wav")})
    assert response.status_code == 200
    body = wait_for_job(client, "boost", response.json()["file_id"])
    assert body["status"] == "failed"
    assert "NaN or infinite" in body["error_message"]
    assert body["boosted_url"] is None


def test_list_shows_only_the_owners_jobs_newest_first(tmp_path, alice, bob, client_for):
    data = signals.encoded(signals.tone(1.0), sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    client = client_for(alice)
    ids = [client.post("/api/boost/upload/", {"audio_file": signals.upload(data, f"{n}.wav")}
                       ).json()["file_id"] for n in ("one", "two")]
    client_for(bob).post("/api/boost/upload/", {"audio_file": signals.upload(data, "bob.wav")})
    files = client.get("/api/boost/files/").json()["files"]
    assert [f["id"] for f in files] == ids[::-1]
    assert [f["filename"] for f in files] == ["two.wav", "one.wav"]
