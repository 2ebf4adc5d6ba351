"""Uploads are streamed to disk and cut off at UPLOAD_MAX_BYTES.

Django's memory limits do not cover file parts, so this handler counts bytes itself. Over
the limit it stops the upload (Django then discards the rest of the body and deletes the
partial temporary file) and marks the request, so the view answers 413.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

TOO_LARGE_FLAG = "_audioservices_upload_too_large"


def upload_too_large(request: object) -> bool:
    return bool(getattr(request, TOO_LARGE_FLAG, False))


class SizeLimitedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.received = 0
        # The multipart envelope adds a little; a body far over the limit is refused at once.
        if content_length and content_length > settings.UPLOAD_MAX_BYTES + 64 * 1024:
            setattr(self.request, TOO_LARGE_FLAG, True)
        return None

    def new_file(self, *args, **kwargs) -> None:
        if upload_too_large(self.request):
            raise StopUpload(connection_reset=False)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = getattr(self, "received", 0) + len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            setattr(self.request, TOO_LARGE_FLAG, True)
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def upload_limit_mb() -> float:
    """``UPLOAD_MAX_BYTES`` in MB, one decimal: the figure the 413 message and the page show."""
    return round(settings.UPLOAD_MAX_BYTES / (1024 * 1024), 1)
