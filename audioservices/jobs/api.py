"""Generic upload / list / status / delete APIs; each service subclasses them with its kind."""

from __future__ import annotations

from typing import ClassVar

from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audioservices.jobs import registry, selectors, services
from audioservices.jobs.errors import (
    BAD_BOOST_LEVEL,
    FILE_NOT_FOUND,
    NO_AUDIO_FILE,
    TOO_LARGE,
    ServiceError,
)
from audioservices.jobs.models import AbstractJob, BoostLevel
from audioservices.jobs.schema import (
    ERRORS,
    DeletedSerializer,
    ErrorSerializer,
    JobSchema,
    UploadAcceptedSerializer,
    file_list,
    upload_request,
)
from audioservices.jobs.uploads import upload_limit_mb, upload_too_large


def boost_level_field(*, default: str, allow_none: bool = True) -> serializers.ChoiceField:
    allowed = [c for c in BoostLevel.values if allow_none or c != BoostLevel.NONE]
    return serializers.ChoiceField(
        choices=[(c, BoostLevel(c).label) for c in allowed], default=default,
        error_messages={"invalid_choice": BAD_BOOST_LEVEL.replace("{value!r}", "{input!r}")
                        .replace("{allowed}", ", ".join(allowed))},
    )


class JobApi(APIView):
    kind_name: ClassVar[str]
    schema = JobSchema()

    def openapi_request(self) -> object:
        return None

    def openapi_responses(self) -> dict:
        return {200: self.kind.serializer, 404: ErrorSerializer}

    @property
    def kind(self) -> registry.JobKind:
        return registry.get(self.kind_name)

    def get_job(self, request: Request, file_id: int) -> AbstractJob:
        job = selectors.job_get(kind=self.kind, owner=request.user, job_id=file_id)
        if job is None:
            raise ServiceError(FILE_NOT_FOUND, status_code=status.HTTP_404_NOT_FOUND)
        return job


class JobUploadApi(JobApi):
    parser_classes = [MultiPartParser, FormParser]
    file_field: ClassVar[str] = "audio_file"
    # Further required files: form field -> the model's extra_inputs field.
    extra_file_fields: ClassVar[dict[str, str]] = {}
    missing_file_message: ClassVar[str] = NO_AUDIO_FILE
    started_message: ClassVar[str] = "File uploaded successfully. Processing started."

    class InputSerializer(serializers.Serializer):
        pass

    def openapi_request(self) -> object:
        return upload_request(self.kind_name, (self.file_field,), self.InputSerializer)

    def openapi_responses(self) -> dict:
        return {200: UploadAcceptedSerializer, **ERRORS}

    def post(self, request: Request) -> Response:
        upload = request.FILES.get(self.file_field)
        if upload_too_large(request._request):
            raise ServiceError(TOO_LARGE.format(limit=upload_limit_mb()), status_code=413)
        extra_uploads = {field: request.FILES.get(form_field)
                         for form_field, field in self.extra_file_fields.items()}
        if upload is None or None in extra_uploads.values():
            raise ServiceError(self.missing_file_message)
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        job = services.job_submit(
            kind=self.kind, owner=request.user, upload=upload, extra_uploads=extra_uploads,
            **params.validated_data,
        )
        return Response({"status": "success", "message": self.started_message,
                         "file_id": job.pk, "filename": job.original_filename})


class JobListApi(JobApi):
    def openapi_responses(self) -> dict:
        return {200: file_list(self.kind_name, self.kind.serializer)}

    def get(self, request: Request) -> Response:
        jobs = selectors.job_list(kind=self.kind, owner=request.user)
        return Response({"files": self.kind.serializer(jobs, many=True).data})


class JobStatusApi(JobApi):
    def get(self, request: Request, file_id: int) -> Response:
        return Response(self.kind.serializer(self.get_job(request, file_id)).data)


class JobDeleteApi(JobApi):
    def openapi_responses(self) -> dict:
        return {200: DeletedSerializer, 404: ErrorSerializer}

    def delete(self, request: Request, file_id: int) -> Response:
        services.job_delete(job=self.get_job(request, file_id))
        return Response({"status": "success", "message": "File deleted successfully"})
