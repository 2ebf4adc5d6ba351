"""The denoise job: the engine the job names, then the optional boost. Only the calls here."""

import numpy as np

from audioservices.audio.loudness import BOOST_GAIN_DB, boost
from audioservices.jobs.services import ProgressRecorder
from audioservices.jobs.tasks import JobResult
from denoise.engine import denoise
from denoise.models import DenoiseJob


def denoise_job_process(
    job: DenoiseJob, audio: np.ndarray, *, sample_rate: int, progress: ProgressRecorder
) -> JobResult:
    gain_db = BOOST_GAIN_DB.get(job.boost_level)
    share = 0.8 if gain_db else 1.0
    cleaned = denoise(audio, sample_rate=sample_rate, model=job.model, strength=job.strength,
                      progress=lambda f: progress(share * f))
    if gain_db is None:
        return JobResult(outputs={"denoised_file": cleaned})
    boosted, report = boost(
        cleaned, sample_rate=sample_rate, gain_db=gain_db,
        progress=lambda f: progress(share + (1 - share) * f),
    )
    return JobResult(outputs={"denoised_file": boosted}, report=report.as_json())
