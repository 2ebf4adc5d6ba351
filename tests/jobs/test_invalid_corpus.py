"""The malformed-audio corpus (tests/fixtures/audio/invalid/) against the decoder and every
upload endpoint: a 4xx in the spec's body, or a job that ends failed with a message; never a
500, never a file left behind, never an unbounded decode."""

from pathlib import Path

import pytest
from django.urls import reverse

from audioservices.audio import io
from audioservices.audio.errors import InvalidAudio
from audioservices.audio.validate import probe
from audioservices.jobs import registry
from audioservices.jobs.registry import all_kinds
from tests import signals
from tests.helpers import stored_files, wait_for_job

CORPUS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "invalid").iterdir())
MAX_DURATION_S = 3600


def test_the_corpus_is_complete():
    assert len(CORPUS) >= 15


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_the_decoder_refuses_each_file(path):
    def probe_and_decode():
        info = probe(path, max_duration_s=MAX_DURATION_S)
        return io.decode(path, info=info, max_duration_s=MAX_DURATION_S)

    with pytest.raises(InvalidAudio) as refused:
        probe_and_decode()
    assert refused.value.message.endswith(".")




@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("celery_worker")
@pytest.mark.parametrize("kind", [k.name for k in all_kinds()])
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_each_upload_endpoint_refuses_or_fails_each_file(alice, client_for, kind, path):
    client = client_for(alice)
    before = stored_files()
    form = signals.upload_form(kind, signals.upload(path.read_bytes(), path.name))
    response = client.post(reverse(f"{kind}-upload"), form)
    assert response.status_code != 500
    if response.status_code >= 400:
        assert response.status_code in (400, 413, 415)
        body = response.json()
        assert body["status"] == "error"
        assert body["message"]
        assert stored_files() == before, "a refused upload left a file behind"
        return
    job = wait_for_job(client, kind, response.json()["file_id"])
    assert job["status"] in ("failed", "error"), job
    assert job["error_message"]
    kept = stored_files() - before
    inputs = 1 + len(registry.get(kind).model.extra_inputs)  # the uploads the job still owns
    assert len(kept) == inputs, f"a failed job left outputs behind: {kept}"
