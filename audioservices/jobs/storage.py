"""Where a job's files live. Names are generated here; a client's filename is only data."""

from __future__ import annotations

import os
import secrets
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

from audioservices.jobs.models import AbstractJob

EXTENSIONS = {"mp3": "mp3", "wav": "wav", "m4a": "m4a", "flac": "flac"}
# A stored audio file's picture sits beside it under a name derived from its own, so no
# column is needed to find it and the media view can tell whose it is from the name alone.
WAVEFORM_SUFFIX = ".waveform.png"


def _folder(model: type[AbstractJob], sub: str) -> PurePosixPath:
    return PurePosixPath("uploads", *filter(None, [model.media_folder]), sub)


def upload_store(*, model: type[AbstractJob], upload: UploadedFile, sub: str = "original") -> str:
    """Save ``upload`` under a random name; return the storage name. Extension fixed later."""
    name = str(_folder(model, sub) / f"{secrets.token_hex(8)}.upload")
    return default_storage.save(name, upload)


def upload_rename(*, name: str, fmt: str) -> str:
    """Give a stored upload the extension of its sniffed (not claimed) format."""
    target = str(PurePosixPath(name).with_suffix("." + EXTENSIONS[fmt]))
    source_path, target_path = default_storage.path(name), default_storage.path(target)
    os.replace(source_path, target_path)
    return target


def output_name(*, job: AbstractJob, field: str) -> str:
    suffix = type(job).output_fields[field]
    stem = PurePosixPath(job.original_file.name).stem
    ext = PurePosixPath(job.original_file.name).suffix
    return str(_folder(type(job), suffix) / f"{stem}_{suffix}{ext}")


def download_filename(*, job: AbstractJob, field: str) -> str:
    """The name a browser saves: the client's stem, our suffix and the real extension."""
    extra = type(job).extra_inputs.get(field)
    client_name = getattr(job, extra.filename_field) if extra else job.original_filename
    client_stem = PurePosixPath(client_name).stem or "audio"
    ext = PurePosixPath(getattr(job, field).name).suffix
    suffix = type(job).output_fields.get(field)
    return f"{client_stem}_{suffix}{ext}" if suffix else f"{client_stem}{ext}"


def waveform_name(name: str) -> str:
    return name + WAVEFORM_SUFFIX


def waveform_source(name: str) -> str | None:
    """The audio file a waveform picture belongs to; None if ``name`` is not a picture."""
    source = name.removesuffix(WAVEFORM_SUFFIX)
    return source if source != name else None


def files_delete(*, names: list[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
