"""The vocal job: load the configured Demucs model (once per worker), separate, return stems."""

import numpy as np
import torch
from django.conf import settings

from audioservices.jobs.services import ProgressRecorder
from audioservices.jobs.tasks import JobError, JobResult
from vocal import engine
from vocal.models import VocalJob

AUTOCAST = {"": None, "bf16": torch.bfloat16, "fp16": torch.float16}
BAD_AUTOCAST = "VOCAL_GPU_AUTOCAST is {value!r}; use '', 'bf16' or 'fp16'."


def vocal_job_process(
    job: VocalJob, audio: np.ndarray, *, sample_rate: int, progress: ProgressRecorder
) -> JobResult:
    if settings.VOCAL_GPU_AUTOCAST not in AUTOCAST:
        raise JobError(BAD_AUTOCAST.format(value=settings.VOCAL_GPU_AUTOCAST))
    try:
        model = engine.model_load(name=settings.VOCAL_MODEL, models_dir=settings.MODELS_DIR)
    except engine.UnsuitableModel as exc:
        raise JobError(str(exc)) from exc
    device = next(model.parameters()).device
    vocals, instrumental = engine.separate(
        audio, sample_rate=sample_rate, model=model, progress=progress,
        autocast=AUTOCAST[settings.VOCAL_GPU_AUTOCAST],
    )
    return JobResult(
        outputs={"vocals_file": vocals, "instrumental_file": instrumental},
        report={"model": settings.VOCAL_MODEL, "device": device.type},
    )
