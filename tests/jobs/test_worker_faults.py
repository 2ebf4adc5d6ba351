"""Worker faults with real processes: SIGKILL mid-job, the attempt cap, the soft time limit.

The session's worker runs with a 0.5 s heartbeat and a 3 s staleness threshold (conftest),
so a dead worker's job goes stale within seconds instead of minutes.
"""

import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audioservices.jobs import registry, services, tasks
from audioservices.jobs.models import JobStatus
from tests import signals
from tests.helpers import stored_files, wait_for_job

pytestmark = pytest.mark.django_db(transaction=True)
STALE_S = 3.0


def long_recording(tmp_path, seconds: float) -> bytes:
    rate = 44100
    audio = signals.noise(rate, int(seconds * rate))[None, :].repeat(2, axis=0) * 0.1
    return signals.encoded(audio, sample_rate=rate, fmt="wav", tmp_path=tmp_path)


def wait_until_processing(model, job_id: int, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = model.objects.get(pk=job_id)
        if job.status == JobStatus.PROCESSING:
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never started")




def test_a_job_whose_worker_is_killed_completes_exactly_once(
    celery_worker, tmp_path, alice, client_for
):
    client = client_for(alice)
    kind = registry.get("denoise")
    data = long_recording(tmp_path, 240)
    file_id = client.post("/api/denoise/upload/", {"audio_file": signals.upload(data, "long.wav")}
                          ).json()["file_id"]
    wait_until_processing(kind.model, file_id)
    celery_worker.kill()
    try:
        time.sleep(STALE_S + 1)
        job = kind.model.objects.get(pk=file_id)
        assert job.status == JobStatus.PROCESSING  # nobody finishes a dead worker's job...
        report = services.job_sweep(stale_after_s=STALE_S, pending_after_s=3600)
        assert report.requeued == 1  # ...until the sweeper re-queues it
    finally:
        celery_worker.start()
    body = wait_for_job(client, "denoise", file_id, timeout=240)
    assert body["status"] == "completed", body
    job = kind.model.objects.get(pk=file_id)
    assert job.attempts == 2
    outputs = [p for p in stored_files() if p.name.endswith("_denoised.wav")
               and p.name.startswith(job.original_file.name.rsplit("/", 1)[-1][:-4])]
    assert len(outputs) == 1
    # The killed worker's message is redelivered after the broker's visibility timeout; the
    # compare-and-set claim turns that delivery into a no-op.
    assert services.job_claim(kind=kind, job_id=file_id) is None


def test_a_job_that_keeps_losing_its_worker_fails_after_the_attempt_cap(alice):
    kind = registry.get("boost")
    stale = timezone.now() - timezone.timedelta(seconds=60)
    capped = kind.model.objects.create(
        owner=alice, original_file="uploads/x.wav", original_filename="x.wav",
        status=JobStatus.PROCESSING, attempts=settings.JOB_MAX_ATTEMPTS, heartbeat_at=stale)
    report = services.job_sweep(stale_after_s=STALE_S, pending_after_s=3600)
    capped.refresh_from_db()
    assert report.failed == 1
    assert capped.status == JobStatus.FAILED
    assert f"interrupted {settings.JOB_MAX_ATTEMPTS} times" in capped.error_message


def test_the_soft_time_limit_fails_the_job_and_removes_partial_outputs(
    celery_worker, tmp_path, alice, client_for
):
    kind = registry.get("denoise")
    upload = SimpleUploadedFile("slow.wav", long_recording(tmp_path, 60))
    name, info = services.upload_accept(model=kind.model, upload=upload)
    # DFN3 needs seconds of CPU for a minute of stereo on any machine; the spectral engine
    # can finish inside the 0.5 s limit on an idle one.
    job = kind.model.objects.create(owner=alice, original_file=name, original_filename="slow.wav",
                                    audio_format=info.format, duration_seconds=info.duration,
                                    model="dfn3")
    before = stored_files()
    tasks.run_job.apply_async(args=[kind.name, job.pk], queue=kind.queue,
                              soft_time_limit=0.5, time_limit=60)
    body = wait_for_job(client_for(alice), "denoise", job.pk)
    assert body["status"] == "failed"
    assert "longer than" in body["error_message"]
    assert stored_files() == before  # nothing but the original, which the job still owns
