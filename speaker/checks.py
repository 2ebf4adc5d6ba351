from django.conf import settings
from django.core.checks import Error, register

from speaker.encoders import ENCODER_CHOICES


@register()
def speaker_encoder_setting(app_configs, **kwargs) -> list[Error]:
    """A mistyped SPEAKER_ENCODER is caught at start-up, not by the first job."""
    if settings.SPEAKER_ENCODER in ENCODER_CHOICES:
        return []
    return [Error(f"SPEAKER_ENCODER={settings.SPEAKER_ENCODER!r}: use one of {ENCODER_CHOICES}",
                  id="speaker.E001")]
