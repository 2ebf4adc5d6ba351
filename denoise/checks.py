"""A misspelt DENOISE_ENGINE is caught at start-up (manage.py check), not by an upload."""

from django.conf import settings
from django.core.checks import Error, register

from denoise.engine import ENGINE_NAMES


@register()
def denoise_engine_setting_check(app_configs, **kwargs) -> list[Error]:
    if settings.DENOISE_ENGINE in ENGINE_NAMES:
        return []
    return [Error(f"DENOISE_ENGINE={settings.DENOISE_ENGINE!r} is not a denoise engine",
                  hint=f"Use one of {', '.join(ENGINE_NAMES)}.", id="denoise.E001")]
