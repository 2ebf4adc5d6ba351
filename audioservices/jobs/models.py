"""The one shape every file service shares: an owned upload that a worker turns into outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    # The vocal service's spec names its failure state "error"; each model says which it uses.
    ERROR = "error"


class BoostLevel(models.TextChoices):
    NONE = "none"
    X2 = "2x"
    X3 = "3x"
    X4 = "4x"
    X5 = "5x"


@dataclass(frozen=True)
class ExtraInput:
    """A second uploaded file a job needs (speaker extraction's target sample)."""

    folder: str  # under the service's media folder, like "original"
    filename_field: str  # the CharField keeping the client's name for it


class AbstractJob(models.Model):
    """Owner, status, progress and the original upload; services add parameters and outputs.

    Subclasses declare ``media_folder`` (where their files live under ``uploads/``),
    ``output_fields`` (output FileField name -> suffix of the output file's name) and, when
    they take more than one upload, ``extra_inputs`` (input FileField name -> ExtraInput).
    """

    failed_status: ClassVar[str] = JobStatus.FAILED
    media_folder: ClassVar[str] = ""
    original_folder: ClassVar[str] = "original"
    output_fields: ClassVar[dict[str, str]] = {}
    extra_inputs: ClassVar[dict[str, ExtraInput]] = {}

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=True
    )
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    error_message = models.TextField(blank=True, default="")
    original_file = models.FileField(max_length=255)
    original_filename = models.CharField(max_length=255, help_text="The client's name, as data.")
    audio_format = models.CharField(max_length=8, help_text="Sniffed container: mp3 wav m4a flac")
    duration_seconds = models.FloatField(null=True, blank=True)
    # Loudness before/after, gain asked and applied (see audioservices.audio.loudness).
    report = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} {self.original_filename} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.COMPLETED, self.failed_status)

    @classmethod
    def stored_file_fields(cls) -> list[str]:
        """Every FileField that names a stored file: inputs first, then outputs."""
        return ["original_file", *cls.extra_inputs, *cls.output_fields]

    def file_fields(self) -> list[models.FieldFile]:
        names = self.stored_file_fields()
        return [getattr(self, name) for name in names if getattr(self, name)]
