from django.db import models

from audioservices.jobs.models import AbstractJob, BoostLevel, ExtraInput


class SpeakerJob(AbstractJob):
    """The job's original_file is the conversation; target_file is the target's voice sample."""

    media_folder = "speaker_extraction"
    original_folder = "conversations"
    extra_inputs = {"target_file": ExtraInput(folder="targets", filename_field="target_filename")}
    output_fields = {"extracted_file": "extracted"}

    boost_level = models.CharField(max_length=8, choices=BoostLevel.choices,
                                   default=BoostLevel.NONE)
    target_file = models.FileField(max_length=255)
    target_filename = models.CharField(max_length=255, help_text="The client's name, as data.")
    extracted_file = models.FileField(max_length=255, blank=True)
    similarity_score = models.FloatField(null=True, blank=True)
    encoder = models.CharField(max_length=16, blank=True, help_text="ge2e or ecapa")
    # [{"start": s, "end": s, "score": 0-100, "target": bool}, ...] over the speech segments.
    timeline = models.JSONField(default=list, blank=True)
