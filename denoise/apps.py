from django.apps import AppConfig


class DenoiseConfig(AppConfig):
    name = "denoise"
    verbose_name = "File denoise"

    def ready(self) -> None:
        from audioservices.jobs.registry import JobKind, register
        from denoise import checks  # noqa: F401 (registers the settings check)
        from denoise.models import DenoiseJob

        register(JobKind(
            name="denoise",
            model=DenoiseJob,
            serializer_path="denoise.serializers.DenoiseJobSerializer",
            processor_path="denoise.tasks.denoise_job_process",
        ))
