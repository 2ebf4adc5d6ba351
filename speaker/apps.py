from django.apps import AppConfig


class SpeakerConfig(AppConfig):
    name = "speaker"
    verbose_name = "Speaker extraction"

    def ready(self) -> None:
        from audioservices import weights
        from audioservices.jobs.registry import JobKind, register
        from speaker import checks  # noqa: F401 (registers the settings check)
        from speaker.encoders import ecapa_weights
        from speaker.models import SpeakerJob

        register(JobKind(
            name="speaker",
            model=SpeakerJob,
            serializer_path="speaker.serializers.SpeakerJobSerializer",
            processor_path="speaker.tasks.speaker_job_process",
            queue="gpu",
        ))
        weights.register("ecapa", ecapa_weights)
