from django.apps import AppConfig


class BoostConfig(AppConfig):
    name = "boost"
    verbose_name = "Audio boost"

    def ready(self) -> None:
        from audioservices.jobs.registry import JobKind, register
        from boost.models import BoostJob

        register(JobKind(
            name="boost",
            model=BoostJob,
            serializer_path="boost.serializers.BoostJobSerializer",
            processor_path="boost.tasks.boost_job_process",
        ))
