"""Owner-checked downloads of /media/ files (Zulip's pattern).

The view authorises, then either streams the file itself (development) or hands the
transfer to the web server with an internal redirect (production: set
MEDIA_INTERNAL_REDIRECT_PREFIX to an nginx ``internal`` location that aliases MEDIA_ROOT).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.views import APIView

from audioservices.jobs import selectors, storage
from audioservices.jobs.errors import FILE_NOT_FOUND, ServiceError
from audioservices.jobs.schema import ErrorSerializer

CONTENT_TYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".m4a": "audio/mp4",
                 ".flac": "audio/flac", ".png": "image/png"}


class MediaDownloadApi(APIView):
    @extend_schema(tags=["media"], responses={
        (200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ErrorSerializer})
    def get(self, request: Request, name: str) -> HttpResponse:
        picture_of = storage.waveform_source(name)  # a picture is its audio file's owner's
        found = selectors.media_owner_job(owner=request.user, name=picture_of or name)
        if found is None or not default_storage.exists(name):
            raise ServiceError(FILE_NOT_FOUND, status_code=status.HTTP_404_NOT_FOUND)
        job, field = found
        filename = storage.download_filename(job=job, field=field)
        if picture_of:
            filename = PurePosixPath(filename).stem + "_waveform.png"
        content_type = CONTENT_TYPES.get("." + name.rpartition(".")[2], "application/octet-stream")
        if settings.MEDIA_INTERNAL_REDIRECT_PREFIX:
            response = HttpResponse(content_type=content_type)
            response["X-Accel-Redirect"] = settings.MEDIA_INTERNAL_REDIRECT_PREFIX + name
            response["Content-Disposition"] = f'inline; filename="{filename}"'
        else:
            response = FileResponse(
                default_storage.open(name, "rb"), filename=filename, content_type=content_type
            )
        patch_cache_control(response, private=True, max_age=3600)
        return response
