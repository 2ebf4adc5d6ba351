"""The status JSON every service shares; services add their parameters and output URLs."""

from __future__ import annotations

from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audioservices.jobs import storage
from audioservices.jobs.models import AbstractJob, JobStatus


def media_url(name: str) -> str | None:
    return default_storage.url(name) if name else None


def mm_ss(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    whole = round(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


@extend_schema_field({"type": "string", "nullable": True, "example": "/media/uploads/x.mp3"})
class FileUrlField(serializers.Field):
    """A FileField rendered as its /media/ URL, or null while it does not exist yet."""

    def __init__(self, source: str, **kwargs) -> None:
        super().__init__(source=source, read_only=True, **kwargs)

    def to_representation(self, value) -> str | None:
        return media_url(value.name if value else "")


class JobSerializer(serializers.ModelSerializer):
    filename = serializers.CharField(source="original_filename", read_only=True)
    duration = serializers.SerializerMethodField()
    original_url = FileUrlField(source="original_file")
    report = serializers.JSONField(read_only=True, help_text="Quality report: loudness in/out.")
    waveforms = serializers.SerializerMethodField(
        help_text="Waveform PNG of each file, keyed by the file's URL field; null until drawn."
    )

    class Meta:
        model = AbstractJob
        fields = [
            "id", "filename", "status", "progress", "duration", "original_url",
            "error_message", "uploaded_at", "processed_at", "report", "waveforms",
        ]
        read_only_fields = fields

    def get_duration(self, job: AbstractJob) -> str | None:
        return mm_ss(job.duration_seconds)

    @extend_schema_field({"type": "object", "additionalProperties": {
        "type": "string", "nullable": True}, "example": {"original_url": "/media/x.png"}})
    def get_waveforms(self, job: AbstractJob) -> dict[str, str | None]:
        # Pictures are drawn when a job completes; before that there is nothing to look for.
        done = job.status == JobStatus.COMPLETED
        pictures = {}
        for key, field in self.fields.items():
            if isinstance(field, FileUrlField):
                audio = getattr(job, field.source)
                picture = storage.waveform_name(audio.name) if done and audio else ""
                found = picture and default_storage.exists(picture)
                pictures[key] = media_url(picture) if found else None
        return pictures

    def to_representation(self, job: AbstractJob) -> dict:
        data = super().to_representation(job)
        data["error_message"] = data["error_message"] or None
        return data
