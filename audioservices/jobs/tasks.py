"""One Celery task runs every file job: claim -> decode -> engine -> encode -> complete.

A kind registered with ``streams_audio`` never has its audio whole in memory: the upload is
decoded block by block into a temporary file (``RawAudio``) that its processor reads window
by window, and its outputs are encoded block by block from what it returns (temporary files,
or differences of them). Temporary files have no name, so they go with the process however
it ends, and are closed with the job.

Bad audio is a property of the file, not of the run: it fails the job at once, no retry.
A worker that dies mid-job (OOM, SIGKILL) is covered by acks_late + reject_on_worker_lost:
the message is delivered again and ``job_claim`` re-takes the job once its heartbeat is stale.
"""

from __future__ import annotations

import logging
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import close_old_connections, connection

from audioservices.audio import io, waveform
from audioservices.audio.blocks import ArrayBlocks, BlockSource, RawAudio
from audioservices.audio.errors import InvalidAudio
from audioservices.audio.validate import AudioInfo, probe
from audioservices.jobs import registry, services, storage
from audioservices.jobs.models import AbstractJob
from audioservices.jobs.waveforms import waveforms_save
from audioservices.weights import WeightsMissing

logger = logging.getLogger(__name__)

TIMED_OUT = "Processing took longer than the {limit} s limit and was stopped."
INTERNAL_ERROR = "Processing failed because of an internal error; it has been logged."


class JobError(Exception):
    """A failure the user should read as is (e.g. model weights missing); not retried."""


@dataclass
class JobResult:
    """What a service's processor returns: outputs by FileField name (arrays, or block
    sources such as a RawAudio for a streaming kind), and a report."""

    outputs: dict[str, np.ndarray | BlockSource]
    report: dict = field(default_factory=dict)
    extra_fields: dict = field(default_factory=dict)  # e.g. a similarity score


@contextmanager
def _heartbeat(job: AbstractJob):
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(settings.JOB_HEARTBEAT_INTERVAL_S):
            services.job_heartbeat(job=job)
        connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def input_audio(job: AbstractJob, field: str) -> tuple[np.ndarray, int]:
    """Decode one of the job's extra input files, with the same checks as the original.

    Raises InvalidAudio naming the file (its client name), which fails the job.
    """
    path = Path(getattr(job, field).path)
    try:
        info = probe(path, max_duration_s=settings.MAX_DURATION_S)
        return io.decode(path, info=info, max_duration_s=settings.MAX_DURATION_S), info.sample_rate
    except InvalidAudio as exc:
        client_name = getattr(job, type(job).extra_inputs[field].filename_field)
        raise InvalidAudio(f"{client_name}: {exc.message}") from exc


class Scratch:
    """The temporary audio files of one job run, in JOB_SCRATCH_DIR; closed when it ends."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack

    def raw_audio(self, *, channels: int) -> RawAudio:
        raw = RawAudio(channels=channels, directory=settings.JOB_SCRATCH_DIR)
        return self._stack.enter_context(raw)


class _Observed:
    """A BlockSource whose blocks are also shown to ``observe`` on their way to the encoder."""

    def __init__(self, source: BlockSource, observe) -> None:
        self.source, self.observe = source, observe
        self.channels, self.frames = source.channels, source.frames

    def blocks(self):
        for block in self.source.blocks():
            self.observe(block)
            yield block


def _write_outputs(
    job: AbstractJob,
    result: JobResult,
    written: dict[str, str],
    *,
    sample_rate: int,
    subtype: str | None,
) -> dict[str, np.ndarray]:
    """Encode each output block by block, recording its stored name in ``written`` as soon
    as it exists (for the clean-up of a failed job); the outputs' waveform envelopes."""
    envelopes = {}
    for field_name, output in result.outputs.items():
        source = ArrayBlocks(output) if isinstance(output, np.ndarray) else output
        name = storage.output_name(job=job, field=field_name)
        path = Path(default_storage.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        envelope = waveform.EnvelopeBuilder(source.frames)
        io.encode_blocks(
            path,
            _Observed(source, envelope.add),
            sample_rate=sample_rate,
            fmt=job.audio_format,
            subtype=subtype,
        )
        written[field_name], envelopes[field_name] = name, envelope.result()
    return envelopes


def _run_processor(
    kind: registry.JobKind, job: AbstractJob, info: AudioInfo, scratch: Scratch
) -> tuple[JobResult, np.ndarray]:
    """Decode the upload (to a temporary file for a streaming kind) and run the processor;
    its result and the input's envelope, taken before an engine can overwrite the input."""
    path = Path(job.original_file.path)
    progress = services.ProgressRecorder(job)
    if kind.streams_audio:
        source = io.decode_into(
            path,
            scratch.raw_audio(channels=info.channels),
            info=info,
            max_duration_s=settings.MAX_DURATION_S,
        )
        original_envelope = waveform.envelope_of(source)
        result = kind.processor(
            job, source, sample_rate=info.sample_rate, progress=progress, scratch=scratch
        )
        return result, original_envelope
    audio = io.decode(path, info=info, max_duration_s=settings.MAX_DURATION_S)
    original_envelope = waveform.envelope(audio)
    return kind.processor(
        job, audio, sample_rate=info.sample_rate, progress=progress
    ), original_envelope


def _process(kind: registry.JobKind, job: AbstractJob) -> None:
    written: dict[str, str] = {}
    pictures: list[str] = []
    try:
        with ExitStack() as stack:  # closes the job's temporary files, whatever happens
            info = probe(Path(job.original_file.path), max_duration_s=settings.MAX_DURATION_S)
            result, original_envelope = _run_processor(kind, job, info, Scratch(stack))
            envelopes = _write_outputs(
                job, result, written, sample_rate=info.sample_rate, subtype=info.subtype
            )
        pictures = waveforms_save(
            original_name=job.original_file.name,
            original=original_envelope,
            outputs={written[f]: envelope for f, envelope in envelopes.items()},
        )
        fields = {**written, **result.extra_fields}
        if services.job_complete(job=job, outputs=fields, report=result.report):
            written, pictures = {}, []  # they belong to the job now
    except (InvalidAudio, JobError, WeightsMissing) as exc:
        services.job_fail(job=job, message=str(exc))
    except SoftTimeLimitExceeded:
        services.job_fail(job=job, message=TIMED_OUT.format(limit=settings.JOB_TIME_LIMIT_S))
    except Exception:
        logger.exception("job %s failed", job)
        services.job_fail(job=job, message=INTERNAL_ERROR)
    finally:
        storage.files_delete(names=[*written.values(), *pictures])


@shared_task(name="jobs.run", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(kind_name: str, job_id: int) -> None:
    close_old_connections()
    kind = registry.get(kind_name)
    job = services.job_claim(kind=kind, job_id=job_id)
    if job is None:
        logger.info("job %s #%s: nothing to do (finished, deleted or running)", kind_name, job_id)
        return
    with _heartbeat(job):
        _process(kind, job)


@shared_task(name="jobs.sweep", ignore_result=True)
def sweep_jobs() -> None:
    """Run by Celery beat: see services.job_sweep."""
    close_old_connections()
    services.job_sweep(
        stale_after_s=settings.JOB_HEARTBEAT_STALE_S, pending_after_s=settings.JOB_PENDING_REQUEUE_S
    )
