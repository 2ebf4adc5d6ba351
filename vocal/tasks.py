"""The vocal job: load the configured Demucs model (once per worker), separate, return stems.

The job streams (``streams_audio``): its input is a temporary file read window by window,
the vocals go to a second one, and the instrumental is encoded as input - vocals, block by
block, so memory does not grow with the file's length.

Celery's autodiscovery imports every app's ``tasks`` module when a worker starts; torch and
demucs are imported on the first vocal job instead, so workers that only take the ``cpu``
queue never load them and start as fast as before.
"""

from django.conf import settings

from audioservices.audio.blocks import Difference, RawAudio
from audioservices.jobs.services import ProgressRecorder
from audioservices.jobs.tasks import JobError, JobResult, Scratch
from vocal.models import VocalJob

AUTOCAST_DTYPES = {"": None, "bf16": "bfloat16", "fp16": "float16"}
BAD_AUTOCAST = "VOCAL_GPU_AUTOCAST is {value!r}; use '', 'bf16' or 'fp16'."


def vocal_job_process(
    job: VocalJob,
    source: RawAudio,
    *,
    sample_rate: int,
    progress: ProgressRecorder,
    scratch: Scratch,
) -> JobResult:
    import torch

    from vocal import engine

    if settings.VOCAL_GPU_AUTOCAST not in AUTOCAST_DTYPES:
        raise JobError(BAD_AUTOCAST.format(value=settings.VOCAL_GPU_AUTOCAST))
    dtype_name = AUTOCAST_DTYPES[settings.VOCAL_GPU_AUTOCAST]
    try:
        model = engine.model_load(name=settings.VOCAL_MODEL, models_dir=settings.MODELS_DIR)
    except engine.UnsuitableModel as exc:
        raise JobError(str(exc)) from exc
    vocals = scratch.raw_audio(channels=source.channels)
    engine.separate_into(
        source=source,
        vocals=vocals,
        sample_rate=sample_rate,
        model=model,
        progress=progress,
        autocast=getattr(torch, dtype_name) if dtype_name else None,
    )
    return JobResult(
        outputs={"vocals_file": vocals, "instrumental_file": Difference(source, vocals)},
        report={"model": settings.VOCAL_MODEL, "device": next(model.parameters()).device.type},
    )
