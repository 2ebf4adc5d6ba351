"""Voice activity with Silero VAD (the model ships inside the ``silero-vad`` wheel)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch

SAMPLE_RATE = 16_000


@lru_cache(maxsize=1)
def load_vad() -> torch.nn.Module:
    from silero_vad import load_silero_vad

    return load_silero_vad()


def speech_regions(
    wav: np.ndarray, *, min_silence_ms: int = 150, progress: Callable[[float], None] | None = None
) -> list[tuple[int, int]]:
    """(start, end) sample ranges of speech in 16 kHz mono float32 audio.

    A 150 ms minimum silence (Silero's default is 100 ms) splits turns in a conversation
    without cutting a speaker's own short pauses into pieces.
    """
    from silero_vad import get_speech_timestamps

    stamps = get_speech_timestamps(
        torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)), load_vad(),
        sampling_rate=SAMPLE_RATE, min_silence_duration_ms=min_silence_ms,
        progress_tracking_callback=(lambda percent: progress(percent / 100)) if progress else None,
    )
    return [(int(s["start"]), int(s["end"])) for s in stamps]
