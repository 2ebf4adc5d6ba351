"""The speaker job: decode the target sample, extract, then the optional boost. Calls only."""

import numpy as np
from django.conf import settings

from audioservices.audio.loudness import OptionalBoost
from audioservices.jobs.services import ProgressRecorder
from audioservices.jobs.tasks import JobError, JobResult, input_audio
from speaker.calibration import CalibrationMissing, load_calibration
from speaker.encoders import load_encoder, resolve_encoder_name
from speaker.engine import TargetSampleError, extract_speaker
from speaker.models import SpeakerJob


def speaker_job_process(
    job: SpeakerJob, audio: np.ndarray, *, sample_rate: int, progress: ProgressRecorder
) -> JobResult:
    target, target_rate = input_audio(job, "target_file")
    name = resolve_encoder_name(settings.SPEAKER_ENCODER, models_dir=settings.MODELS_DIR)
    then = OptionalBoost(level=job.boost_level, progress=progress, engine_share=0.9)
    try:
        calibration = load_calibration(name)
        extraction = extract_speaker(
            audio, sample_rate=sample_rate, target=target, target_sample_rate=target_rate,
            encoder=load_encoder(name, models_dir=settings.MODELS_DIR), calibration=calibration,
            progress=then.engine_progress,
        )
    except (TargetSampleError, CalibrationMissing) as exc:
        raise JobError(str(exc)) from exc
    fields = {"similarity_score": extraction.similarity_score, "encoder": name,
              "timeline": extraction.timeline_json()}
    out, report = then.apply(extraction.audio, sample_rate=sample_rate)
    return JobResult(outputs={"extracted_file": out}, report=report, extra_fields=fields)
