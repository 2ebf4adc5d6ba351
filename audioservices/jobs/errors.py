"""The file services' error body, ``{"status": "error", "message": ...}``, for every error.

DRF's own errors (authentication, permission, parsing, validation) are reshaped here so a
client never has to handle two formats.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler

from audioservices.audio.errors import InvalidAudio

NO_AUDIO_FILE = "No audio file provided"
NO_FILE = "No file provided"  # the spec's words for vocal and boost
BOTH_FILES_REQUIRED = "Both conversation file and target speaker file are required"
FILE_NOT_FOUND = "File not found"
TOO_LARGE = "File too large: the limit is {limit:g} MB."
BAD_BOOST_LEVEL = "Invalid boost_level {value!r}: use one of {allowed}."


class ServiceError(APIException):
    """An error with the spec's body; ``status_code`` set per instance."""

    def __init__(self, message: str, *, status_code: int = status.HTTP_400_BAD_REQUEST) -> None:
        super().__init__(detail=message)
        self.status_code = status_code


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        field, value = next(iter(detail.items()))
        if field in ("detail", "non_field_errors"):
            return _first_message(value)
        return f"{field}: {_first_message(value)}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def error_response(message: str, status_code: int) -> Response:
    # The spec shows {"status", "message"} for most errors and {"error"} for some (boost,
    # vocal): every error carries all three keys, so a client written for either works.
    return Response({"status": "error", "message": message, "error": message}, status=status_code)


def spec_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, InvalidAudio):
        code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE if exc.unsupported else status.HTTP_400_BAD_REQUEST
        return error_response(exc.message, code)
    response = exception_handler(exc, context)
    if response is None:
        return None
    body = error_response(_first_message(response.data), response.status_code)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            body[header] = response[header]
    return body


NO_SUCH_ENDPOINT = "Not found: no API endpoint at this path."


@csrf_exempt  # it changes nothing; a POST/DELETE to a wrong path must get the JSON 404 too
def api_not_found(request, *args, **kwargs) -> JsonResponse:
    """Unmatched paths under /api/ (say, a negative id) answer JSON, never an HTML page."""
    body = {"status": "error", "message": NO_SUCH_ENDPOINT, "error": NO_SUCH_ENDPOINT}
    return JsonResponse(body, status=status.HTTP_404_NOT_FOUND)
