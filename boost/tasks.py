"""The boost job: gain by level, then the true-peak limiter (audioservices.audio.loudness)."""

import numpy as np

from audioservices.audio.loudness import BOOST_GAIN_DB, boost
from audioservices.jobs.services import ProgressRecorder
from audioservices.jobs.tasks import JobResult
from boost.models import BoostJob


def boost_job_process(
    job: BoostJob, audio: np.ndarray, *, sample_rate: int, progress: ProgressRecorder
) -> JobResult:
    boosted, report = boost(
        audio, sample_rate=sample_rate, gain_db=BOOST_GAIN_DB[job.boost_level], progress=progress
    )
    return JobResult(outputs={"boosted_file": boosted}, report=report.as_json())
