import time

from django.apps import AppConfig

PROCESS_STARTED_AT = time.time()  # /health's uptime: imported when Django starts


class MixerConfig(AppConfig):
    name = "mixer"
    verbose_name = "AI mixer"

    def ready(self) -> None:
        from mixer import schema, warmup  # noqa: F401 (schema registers an extension)

        warmup.connect_worker_warm_up()
