from django.db import models

from audioservices.jobs.models import AbstractJob, BoostLevel


class DenoiseJob(AbstractJob):
    media_folder = ""  # uploads/original/, uploads/denoised/ as in the spec's examples
    output_fields = {"denoised_file": "denoised"}

    boost_level = models.CharField(max_length=8, choices=BoostLevel.choices, default=BoostLevel.NONE)
    denoised_file = models.FileField(max_length=255, blank=True)
