from django.core.validators import MaxValueValidator
from django.db import models

from audioservices.jobs.models import AbstractJob, BoostLevel
from denoise.engine import DEFAULT_STRENGTH, ENGINE_NAMES


class DenoiseJob(AbstractJob):
    media_folder = ""  # uploads/original/, uploads/denoised/ as in the spec's examples
    output_fields = {"denoised_file": "denoised"}

    boost_level = models.CharField(max_length=8, choices=BoostLevel.choices, default=BoostLevel.NONE)
    # Rows from before engines were selectable ran noisereduce: "spectral".
    model = models.CharField(max_length=24, choices=[(n, n) for n in ENGINE_NAMES],
                             default="spectral")
    strength = models.PositiveSmallIntegerField(default=DEFAULT_STRENGTH,
                                                validators=[MaxValueValidator(100)])
    denoised_file = models.FileField(max_length=255, blank=True)
