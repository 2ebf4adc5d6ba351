from django.conf import settings
from rest_framework import serializers

from audioservices.jobs.api import (
    JobDeleteApi,
    JobListApi,
    JobStatusApi,
    JobUploadApi,
    boost_level_field,
)
from denoise.engine import DEFAULT_STRENGTH, ENGINE_NAMES

BAD_MODEL = "Invalid model {input!r}: use one of " + ", ".join(ENGINE_NAMES) + "."
BAD_STRENGTH = "strength must be an integer from 0 to 100."


def _default_model() -> str:
    return settings.DENOISE_ENGINE


class DenoiseUploadApi(JobUploadApi):
    kind_name = "denoise"

    class InputSerializer(serializers.Serializer):
        boost_level = boost_level_field(default="none")
        model = serializers.ChoiceField(
            choices=ENGINE_NAMES, default=_default_model,
            error_messages={"invalid_choice": BAD_MODEL},
            help_text="Denoise engine; the default is the DENOISE_ENGINE setting.",
        )
        strength = serializers.IntegerField(
            min_value=0, max_value=100, default=DEFAULT_STRENGTH,
            error_messages={key: BAD_STRENGTH for key in ("invalid", "min_value", "max_value")},
            help_text="Denoised share of a wet/dry mix, 0-100 (100: full denoise).",
        )


class DenoiseListApi(JobListApi):
    kind_name = "denoise"


class DenoiseStatusApi(JobStatusApi):
    kind_name = "denoise"


class DenoiseDeleteApi(JobDeleteApi):
    kind_name = "denoise"
