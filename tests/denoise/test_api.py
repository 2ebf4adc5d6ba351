"""`model` and `strength` on POST /api/denoise/upload/, and every engine through a real worker."""

import pytest
import soundfile as sf

from audioservices.audio.io import decode
from audioservices.audio.validate import probe
from denoise.engine import ENGINE_NAMES
from denoise.models import DenoiseJob
from tests import signals
from tests.helpers import media_path, wait_for_job

ALLOWED = "spectral, spectral-stationary, dfn3, dfn3-nsnet2, nsnet2, rnnoise"


@pytest.fixture
def noisy_flac(tmp_path):
    clean = signals.speech(16000)
    noisy = signals.mix_at_snr(clean, signals.noise(16000, clean.size), 0.0)
    path = tmp_path / "noisy.flac"
    sf.write(str(path), noisy, 16000, subtype="PCM_24")
    return clean, noisy, path.read_bytes()


def _post(client, data: bytes, **fields):
    return client.post("/api/denoise/upload/",
                       {"audio_file": signals.upload(data, "noisy.flac"), **fields})


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
@pytest.mark.parametrize("model", ENGINE_NAMES)
def test_each_engine_runs_through_the_api_and_improves_the_recording(
    alice, client_for, noisy_flac, model
):
    clean, noisy, data = noisy_flac
    client = client_for(alice)
    response = _post(client, data, model=model, strength="100")
    assert response.status_code == 200, response.content
    body = wait_for_job(client, "denoise", response.json()["file_id"], timeout=120)
    assert body["status"] == "completed", body
    assert (body["model"], body["strength"]) == (model, 100)
    path = media_path(body["denoised_url"])
    info = probe(path, max_duration_s=3600)
    output = decode(path, info=info, max_duration_s=3600)
    assert (info.sample_rate, info.channels, output.shape[1]) == (16000, 1, noisy.size)
    assert signals.si_sdr(output[0], clean) > signals.si_sdr(noisy, clean) + 3.0


@pytest.mark.django_db
def test_model_defaults_to_the_setting_and_is_listed(alice, client_for, noisy_flac, settings):
    settings.DENOISE_ENGINE = "rnnoise"
    client = client_for(alice)
    file_id = _post(client, noisy_flac[2], model="").json()["file_id"]  # empty: not given
    status = client.get(f"/api/denoise/files/{file_id}/status/").json()
    assert (status["model"], status["strength"]) == ("rnnoise", 100)
    listed = client.get("/api/denoise/files/").json()["files"]
    assert [(f["id"], f["model"], f["strength"]) for f in listed] == [(file_id, "rnnoise", 100)]


@pytest.mark.django_db
def test_model_and_strength_given_are_stored(alice, client_for, noisy_flac):
    client = client_for(alice)
    file_id = _post(client, noisy_flac[2], model="dfn3", strength="40").json()["file_id"]
    job = DenoiseJob.objects.get(pk=file_id)
    assert (job.model, job.strength, job.owner) == ("dfn3", 40, alice)


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["demucs", "DFN3", "spectral "])
def test_unknown_model_is_400_listing_the_allowed_ones(alice, client_for, noisy_flac, model):
    response = _post(client_for(alice), noisy_flac[2], model=model)
    assert response.status_code == 400
    message = f"model: Invalid model {model!r}: use one of {ALLOWED}."
    assert response.json() == {"status": "error", "message": message, "error": message}
    assert not DenoiseJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("strength", ["101", "-1", "loud", "50.5"])
def test_strength_outside_0_to_100_is_400(alice, client_for, noisy_flac, strength):
    response = _post(client_for(alice), noisy_flac[2], strength=strength)
    assert response.status_code == 400
    assert response.json()["message"] == "strength: strength must be an integer from 0 to 100."
    assert not DenoiseJob.objects.exists()


def test_a_misspelt_setting_fails_the_system_check(settings):
    from denoise.checks import denoise_engine_setting_check

    settings.DENOISE_ENGINE = "dfn"
    errors = denoise_engine_setting_check(None)
    assert [e.id for e in errors] == ["denoise.E001"]
    settings.DENOISE_ENGINE = "dfn3"
    assert denoise_engine_setting_check(None) == []
