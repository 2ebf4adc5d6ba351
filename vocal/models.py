from django.db import models

from audioservices.jobs.models import AbstractJob, JobStatus


class VocalJob(AbstractJob):
    # Spec §2 names this service's failure state "error" (the others say "failed").
    failed_status = JobStatus.ERROR
    media_folder = "vocal_separation"
    output_fields = {"vocals_file": "vocals", "instrumental_file": "instrumental"}

    vocals_file = models.FileField(max_length=255, blank=True)
    instrumental_file = models.FileField(max_length=255, blank=True)
