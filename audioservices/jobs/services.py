"""Writes: create jobs, move them through their states, delete them.

Every state change is a compare-and-set UPDATE (pulpcore's pattern): the row changes only if
it is still in the state we expect, so a job delivered twice does not run twice, and a job
deleted while a worker is busy does not come back to life.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audioservices.audio.validate import AudioInfo, probe
from audioservices.jobs import storage
from audioservices.jobs.events import job_event_send
from audioservices.jobs.models import AbstractJob, JobStatus
from audioservices.jobs.registry import JobKind, all_kinds
from audioservices.jobs.signals import job_finished

logger = logging.getLogger(__name__)

PROGRESS_MIN_INTERVAL_S = 0.5
GAVE_UP = "Processing was interrupted {attempts} times (the worker stopped); giving up."


def upload_accept(
    *, model: type[AbstractJob], upload: UploadedFile, sub: str = "original"
) -> tuple[str, AudioInfo]:
    """Store an upload and check by content that it is audio we accept; remove it if not."""
    name = storage.upload_store(model=model, upload=upload, sub=sub)
    try:
        info = probe(default_storage.path(name), max_duration_s=settings.MAX_DURATION_S)
        return storage.upload_rename(name=name, fmt=info.format), info
    except Exception:
        default_storage.delete(name)
        raise


def _extra_inputs_accept(
    *, model: type[AbstractJob], uploads: dict[str, UploadedFile], stored: list[str]
) -> dict[str, str]:
    """Store and check each extra input (``stored`` collects names for the caller's cleanup)."""
    fields: dict[str, str] = {}
    for field_name, upload in uploads.items():
        extra = model.extra_inputs[field_name]
        name, _ = upload_accept(model=model, upload=upload, sub=extra.folder)
        stored.append(name)
        fields[field_name] = name
        fields[extra.filename_field] = (upload.name or "audio")[:255]
    return fields


def job_submit(
    *, kind: JobKind, owner: AbstractBaseUser, upload: UploadedFile,
    extra_uploads: dict[str, UploadedFile] | None = None, **params: Any,
) -> AbstractJob:
    """Store and check every upload, create the job, enqueue it once committed.

    ``extra_uploads`` maps the model's ``extra_inputs`` fields to their uploads; if any file
    is refused, the ones already stored are removed.
    """
    name, info = upload_accept(model=kind.model, upload=upload, sub=kind.model.original_folder)
    stored = [name]
    try:
        extra_fields = _extra_inputs_accept(
            model=kind.model, uploads=extra_uploads or {}, stored=stored
        )
        with transaction.atomic():
            job = kind.model.objects.create(
                owner=owner,
                original_file=name,
                original_filename=(upload.name or "audio")[:255],
                audio_format=info.format,
                duration_seconds=info.duration,
                **extra_fields,
                **params,
            )
            transaction.on_commit(lambda: job_enqueue(kind=kind, job=job))
    except Exception:
        storage.files_delete(names=stored)
        raise
    return job


def job_enqueue(*, kind: JobKind, job: AbstractJob) -> None:
    from audioservices.jobs.tasks import run_job

    run_job.apply_async(args=[kind.name, job.pk], queue=kind.queue)


def job_claim(*, kind: JobKind, job_id: int) -> AbstractJob | None:
    """pending -> processing; or re-take a job whose worker died. None: nothing to do."""
    stale = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_STALE_S)
    claimable = Q(status=JobStatus.PENDING) | Q(status=JobStatus.PROCESSING, heartbeat_at__lt=stale)
    now = timezone.now()
    claimed = kind.model.objects.filter(claimable, pk=job_id).update(
        status=JobStatus.PROCESSING, attempts=F("attempts") + 1, started_at=now,
        heartbeat_at=now, progress=0, error_message="",
    )
    if not claimed:
        return None
    job = kind.model.objects.get(pk=job_id)
    if job.attempts > settings.JOB_MAX_ATTEMPTS:
        job_fail(job=job, message=GAVE_UP.format(attempts=job.attempts - 1))
        return None
    job_event_send(job)
    return job


def _running(job: AbstractJob):
    return type(job).objects.filter(
        pk=job.pk, status=JobStatus.PROCESSING, attempts=job.attempts
    )


def job_heartbeat(*, job: AbstractJob) -> bool:
    return bool(_running(job).update(heartbeat_at=timezone.now()))


class ProgressRecorder:
    """The engine's ``progress(fraction)`` callback: 0-100 in the database, throttled."""

    def __init__(self, job: AbstractJob) -> None:
        self.job = job
        self.last_write = 0.0

    def __call__(self, fraction: float) -> None:
        percent = max(0, min(99, int(fraction * 100)))  # 100 only when outputs are saved
        now = time.monotonic()
        if percent <= self.job.progress or now - self.last_write < PROGRESS_MIN_INTERVAL_S:
            return
        self.last_write = now
        if _running(self.job).update(progress=percent, heartbeat_at=timezone.now()):
            self.job.progress = percent
            job_event_send(self.job)


def job_complete(*, job: AbstractJob, outputs: dict[str, str], report: dict) -> bool:
    """processing -> completed with its outputs; False if the job was deleted or re-taken."""
    done = _running(job).update(
        status=JobStatus.COMPLETED, progress=100, processed_at=timezone.now(), report=report,
        **outputs,
    )
    if done:
        job.refresh_from_db()
        job_event_send(job)
        job_finished.send(sender=type(job), job=job)
    return bool(done)


def job_fail(*, job: AbstractJob, message: str) -> None:
    updated = type(job).objects.filter(pk=job.pk, status=JobStatus.PROCESSING).update(
        status=job.failed_status, error_message=message, processed_at=timezone.now()
    )
    if updated:
        job.refresh_from_db()
        job_event_send(job)
        job_finished.send(sender=type(job), job=job)


def job_delete(*, job: AbstractJob) -> None:
    names = [n for f in job.file_fields() for n in (f.name, storage.waveform_name(f.name))]
    job.delete()
    transaction.on_commit(lambda: storage.files_delete(names=names))


@dataclass(frozen=True)
class SweepReport:
    requeued: int = 0
    failed: int = 0


def job_sweep(*, stale_after_s: float, pending_after_s: float) -> SweepReport:
    """Re-queue jobs whose worker died (stale heartbeat) or whose message was lost (pending
    too long); fail those already interrupted JOB_MAX_ATTEMPTS times. Claiming is a CAS, so a
    job re-queued while its message is still in the broker still runs once."""
    now = timezone.now()
    requeued = failed = 0
    for kind in all_kinds():
        stale = kind.model.objects.filter(
            status=JobStatus.PROCESSING, heartbeat_at__lt=now - timedelta(seconds=stale_after_s))
        lost = kind.model.objects.filter(
            status=JobStatus.PENDING, uploaded_at__lt=now - timedelta(seconds=pending_after_s))
        for job in [*stale, *lost]:
            if job.status == JobStatus.PROCESSING and job.attempts >= settings.JOB_MAX_ATTEMPTS:
                job_fail(job=job, message=GAVE_UP.format(attempts=job.attempts))
                failed += 1
            else:
                job_enqueue(kind=kind, job=job)
                requeued += 1
    if requeued or failed:
        logger.warning("sweep: %d job(s) re-queued, %d failed", requeued, failed)
    return SweepReport(requeued=requeued, failed=failed)


def job_retry(*, kind: JobKind, job: AbstractJob) -> bool:
    """failed -> pending, enqueued again (the admin's "retry failed jobs")."""
    updated = kind.model.objects.filter(pk=job.pk, status=job.failed_status).update(
        status=JobStatus.PENDING, progress=0, error_message="", attempts=0, processed_at=None
    )
    if updated:
        transaction.on_commit(lambda: job_enqueue(kind=kind, job=job))
    return bool(updated)
