"""Run a frame-based neural denoiser (48 kHz, fixed hop, state carried) over a whole file.

Each channel is one stream: its samples are resampled to the engine's rate with soxr's
streaming resampler, cut into the engine's frames, denoised, resampled back and written into
the input array IN PLACE. The output is aligned with the input (the engine's own delay is
dropped from the front and flushed with zeros at the end), so a position is overwritten only
once its denoised value is known: until then it still holds the dry sample that the wet/dry
mix needs. Blocks bound the working memory; state carries across them, so block boundaries
do not show in the output.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import numpy as np
import soxr

BLOCK_S = 10.0
Progress = Callable[[float], None]


class FrameDenoiser(Protocol):
    """One channel's native state: denoises ``frames`` (n, hop) float32 in order."""

    def process(self, frames: np.ndarray) -> np.ndarray: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class FrameEngine:
    rate: int  # the model's sample rate
    hop: int  # samples per frame
    delay: int  # output lags input by this many samples (measured; see tests)
    create: Callable[[], FrameDenoiser]


class _ChannelStream:
    def __init__(self, signal: np.ndarray, *, sample_rate: int, engine: FrameEngine,
                 wet: float) -> None:
        self.signal, self.engine, self.wet = signal, engine, wet
        self.state = engine.create()
        same_rate = sample_rate == engine.rate
        self.up = None if same_rate else soxr.ResampleStream(sample_rate, engine.rate, 1, "float32")
        self.down = None if same_rate else soxr.ResampleStream(engine.rate, sample_rate, 1, "float32")
        self.pending = np.empty(0, dtype=np.float32)  # engine-rate samples short of a frame
        self.skip = engine.delay
        self.written = 0

    def feed(self, *, start: int, stop: int, last: bool) -> None:
        block = self.signal[start:stop]
        if self.up is not None:
            block = self.up.resample_chunk(block, last=last)
        if last:  # flush the engine's delay and the partial frame with silence
            block = np.concatenate([block, np.zeros(self.engine.delay + self.engine.hop,
                                                    dtype=np.float32)])
        self._write(self._denoise(block), last=last)

    def _denoise(self, block: np.ndarray) -> np.ndarray:
        samples = np.concatenate([self.pending, block])
        whole = samples.size - samples.size % self.engine.hop
        self.pending = samples[whole:]
        out = self.state.process(samples[:whole].reshape(-1, self.engine.hop)).reshape(-1)
        dropped = min(self.skip, out.size)
        self.skip -= dropped
        return out[dropped:]

    def _write(self, wet: np.ndarray, *, last: bool) -> None:
        if self.down is not None:
            wet = self.down.resample_chunk(wet, last=last)
        wet = wet[: self.signal.size - self.written]
        target = self.signal[self.written : self.written + wet.size]
        if self.wet < 1.0:
            wet = self.wet * wet + (1.0 - self.wet) * target
        target[:] = wet
        self.written += wet.size

    def close(self) -> None:
        self.state.close()


def denoise_frames(
    audio: np.ndarray,
    *,
    sample_rate: int,
    engine: FrameEngine,
    wet: float,
    progress: Progress | None = None,
) -> np.ndarray:
    """Denoise (channels, samples) float32 IN PLACE; ``wet`` 0..1 is the denoised share."""
    length = audio.shape[1]
    block = max(1, int(BLOCK_S * sample_rate))
    streams = [_ChannelStream(row, sample_rate=sample_rate, engine=engine, wet=wet)
               for row in audio]
    try:
        # ctypes releases the GIL during the native calls: channels run in parallel.
        with ThreadPoolExecutor(max_workers=len(streams)) as pool:
            for start in range(0, length, block):
                stop = min(start + block, length)
                last = stop == length
                list(pool.map(partial(_ChannelStream.feed, start=start, stop=stop, last=last), streams))
                if progress:
                    progress(stop / length)
    finally:
        for stream in streams:
            stream.close()
    return audio
