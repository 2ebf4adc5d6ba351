"""The denoise job: the engine the job names, then the optional boost. Only the calls here."""

import numpy as np

from audioservices.audio.loudness import OptionalBoost
from audioservices.jobs.services import ProgressRecorder
from audioservices.jobs.tasks import JobResult
from denoise.engine import denoise
from denoise.models import DenoiseJob


def denoise_job_process(
    job: DenoiseJob, audio: np.ndarray, *, sample_rate: int, progress: ProgressRecorder
) -> JobResult:
    then = OptionalBoost(level=job.boost_level, progress=progress, engine_share=0.8)
    cleaned = denoise(audio, sample_rate=sample_rate, model=job.model, strength=job.strength,
                      progress=then.engine_progress)
    out, report = then.apply(cleaned, sample_rate=sample_rate)
    return JobResult(outputs={"denoised_file": out}, report=report)
