from django.apps import AppConfig


class VocalConfig(AppConfig):
    name = "vocal"
    verbose_name = "Vocal separation"

    def ready(self) -> None:
        from django.conf import settings

        from audioservices import weights
        from audioservices.jobs.registry import JobKind, register
        from vocal.models import VocalJob
        from vocal.weights import demucs_weights

        register(
            JobKind(
                name="vocal",
                model=VocalJob,
                serializer_path="vocal.serializers.VocalJobSerializer",
                processor_path="vocal.tasks.vocal_job_process",
                queue="gpu",
                streams_audio=True,  # an hour of stereo would need ~3.8 GB in memory
            )
        )
        # Read at call time, so `fetch_models demucs` follows the current VOCAL_MODEL.
        weights.register("demucs", lambda: demucs_weights(settings.VOCAL_MODEL))
