"""Spectral-gating noise reduction (noisereduce's gates) for whole files, in blocks, in place.

The gate works on a whole array at once; an hour of audio would need several copies of its
STFT. We feed it blocks with context on both sides (its non-stationary noise estimate looks
about two seconds around each point), keep each block's centre, and write it back into the
input. Channels of a block run in parallel threads: the FFTs and kernels release the GIL.
The non-stationary gate is gate.py (noisereduce's algorithm, float32, 5x less CPU); the
stationary one is noisereduce's own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from denoise.engines.gate import N_FFT, gate

# gate.py holds about 1.4 MB per second of block and channel (its complex64 STFT, the
# float32 mask, the output): 15 s blocks with 2 s of context each side keep a stereo block
# near 55 MB, so an hour of stereo (1.2 GB itself) peaks under 1.5 GB; longer blocks save
# little (the context is 27 % extra work here, 20 % at 20 s) and cost memory. The context
# covers the 2 s noise-estimate time constant, so block seams stay inaudible. (noisereduce's
# own stationary gate holds ~250 bytes per sample in float64: ~200 MB a channel here.)
BLOCK_S = 15.0
CONTEXT_S = 2.0
Progress = Callable[[float], None]


def _import_noisereduce():
    """noisereduce without torch, unless torch is loaded already.

    noisereduce imports torch at module level only for its optional ``use_torch`` path, which
    we never take (on CPU it is slower and took 4 GB, FINDINGS.md). On the CPU queue torch is
    otherwise never needed: importing it would cost about 185 MB of RSS and seconds per
    worker. A ``None`` entry in sys.modules makes its ``try: import torch`` fail, for the
    duration of this import only.
    """
    if "noisereduce" in sys.modules or "torch" in sys.modules:
        import noisereduce

        return noisereduce
    import joblib  # noqa: F401  noisereduce's own imports, loaded first so that nothing
    import scipy.signal  # noqa: F401  but noisereduce's modules runs while torch is hidden
    import tqdm.auto  # noqa: F401

    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import noisereduce
    finally:
        del sys.modules["torch"]
    return noisereduce


noisereduce = _import_noisereduce()


def _reduce(segment: np.ndarray, *, sample_rate: int, stationary: bool, wet: float) -> np.ndarray:
    # noisereduce needs several FFT frames; very short clips are zero-padded, then trimmed.
    padded = np.pad(segment, (0, max(0, 4 * N_FFT - segment.size)))
    if not stationary:  # the same gate as noisereduce's, 5x faster (gate.py)
        return gate(padded, sample_rate=sample_rate, prop_decrease=wet)[: segment.size]
    cleaned = noisereduce.reduce_noise(
        y=padded, sr=sample_rate, stationary=stationary, n_fft=N_FFT, prop_decrease=wet,
        # Our blocks are its chunks (no temp-file memmap, no seams); the zero padding keeps
        # the last partial STFT hop, which its unpadded STFT would otherwise drop.
        chunk_size=None, padding=N_FFT,
    )
    return cleaned[: segment.size].astype(np.float32, copy=False)


def denoise_spectral(
    audio: np.ndarray,
    *,
    sample_rate: int,
    stationary: bool = False,
    wet: float = 1.0,
    progress: Progress | None = None,
) -> np.ndarray:
    """Reduce background noise in (channels, samples) float32 audio. Works IN PLACE.

    ``wet`` is noisereduce's ``prop_decrease``: the mask is blended with 1, which is the
    same as mixing ``wet`` of the denoised signal with ``1 - wet`` of the input.
    """
    block, context = int(BLOCK_S * sample_rate), int(CONTEXT_S * sample_rate)
    length = audio.shape[1]
    left_context = np.empty((audio.shape[0], 0), dtype=np.float32)  # originals already overwritten
    with ThreadPoolExecutor(max_workers=audio.shape[0]) as pool:
        for start in range(0, length, block):
            stop = min(start + block, length)
            right = audio[:, stop : stop + context]
            padded = np.concatenate([left_context, audio[:, start:stop], right], axis=1)
            next_left = audio[:, max(start, stop - context) : stop].copy()
            cleaned = pool.map(
                lambda channel: _reduce(channel, sample_rate=sample_rate, stationary=stationary,
                                       wet=wet),
                padded,
            )
            for index, channel in enumerate(cleaned):
                audio[index, start:stop] = channel[left_context.shape[1] :][: stop - start]
            left_context = next_left
            if progress:
                progress(stop / length)
    return audio
