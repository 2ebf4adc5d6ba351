"""The worker's waveform pictures of a job's input and outputs, stored beside each file.

Pictures are a convenience: if drawing one fails the job still completes (and the status
JSON shows null for that picture); the failure is logged.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from django.core.files.storage import default_storage

from audioservices.audio import waveform
from audioservices.jobs import storage

logger = logging.getLogger(__name__)


def _save(audio_name: str, bounds: np.ndarray, color: tuple[int, int, int]) -> str:
    name = storage.waveform_name(audio_name)
    path = Path(default_storage.path(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(waveform.render_png(bounds, color=color))
    return name


def waveforms_save(
    *, original_name: str, original: np.ndarray, outputs: dict[str, np.ndarray]
) -> list[str]:
    """Draw the input's envelope and each output's (stored name -> envelope, as made by
    ``waveform.EnvelopeBuilder`` while the audio streamed past); return the names."""
    written: list[str] = []
    try:
        written.append(_save(original_name, original, waveform.INPUT_COLOR))
        for name, bounds in outputs.items():
            written.append(_save(name, bounds, waveform.OUTPUT_COLOR))
    except Exception:
        logger.exception("waveform pictures for %s not drawn", original_name)
    return written
