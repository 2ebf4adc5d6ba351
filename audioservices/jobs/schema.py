"""OpenAPI for the generic job views: one AutoSchema that asks the view's kind what it returns.

The views are plain APIViews shared by every service, so drf-spectacular cannot guess their
serializers; each view says what it takes and answers (``openapi_request`` /
``openapi_responses``) in terms of its kind, and this schema class reads that.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from audioservices.jobs.models import BoostLevel


class ErrorSerializer(serializers.Serializer):
    status = serializers.CharField(default="error")
    message = serializers.CharField()
    error = serializers.CharField(help_text="The same text as message (the spec uses both).")


class UploadAcceptedSerializer(serializers.Serializer):
    status = serializers.CharField(default="success")
    message = serializers.CharField()
    file_id = serializers.IntegerField()
    filename = serializers.CharField()


class DeletedSerializer(serializers.Serializer):
    status = serializers.CharField(default="success")
    message = serializers.CharField()


# Named enums for the boost_level choice sets (denoise allows "none", boost does not).
# (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] points here.)
BOOST_LEVELS = BoostLevel.choices
BOOST_LEVELS_WITHOUT_NONE = [c for c in BoostLevel.choices if c[0] != BoostLevel.NONE]

ERRORS = {code: ErrorSerializer for code in (400, 403, 413, 415)}


def _component(name: str, fields: dict[str, serializers.Field]) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), fields)


@cache
def upload_request(
    kind_name: str, file_fields: tuple[str, ...], params: type[serializers.Serializer]
) -> type[serializers.Serializer]:
    """The multipart form: the file part(s) and the service's own parameters."""
    fields: dict[str, Any] = {name: serializers.FileField() for name in file_fields}
    fields.update(params().get_fields())
    return _component(f"{kind_name.title()}Upload", fields)


@cache
def file_list(kind_name: str, item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    return _component(f"{kind_name.title()}FileList", {"files": item(many=True)})


class JobSchema(AutoSchema):
    def get_request_serializer(self) -> Any:
        return self.view.openapi_request()

    def get_response_serializers(self) -> Any:
        return self.view.openapi_responses()

    def get_tags(self) -> list[str]:
        return [self.view.kind_name]
