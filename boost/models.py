from django.db import models

from audioservices.jobs.models import AbstractJob, BoostLevel


class BoostJob(AbstractJob):
    media_folder = "audio_boost"
    output_fields = {"boosted_file": "boosted"}

    boost_level = models.CharField(max_length=8, choices=BoostLevel.choices, default=BoostLevel.X3)
    boosted_file = models.FileField(max_length=255, blank=True)
