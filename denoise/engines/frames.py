"""Run a frame-based neural denoiser (its own rate, fixed hop, state carried) over a file.

Each channel is one stream: its samples are resampled to the engine's rate (see
``_upsampler``), cut into the engine's frames, denoised, resampled back with soxr and written
into the input array IN PLACE. The output is aligned with the input (the engine's own delay is
dropped from the front and flushed with zeros at the end), so a position is overwritten only
once its denoised value is known: until then it still holds the dry sample that the wet/dry
mix needs. Blocks bound the working memory; state carries across them, so block boundaries
do not show in the output.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from typing import Protocol

import numpy as np
import soxr
from scipy.signal import firwin, lfilter

from audioservices.audio.loudness import integrated_loudness

BLOCK_S = 10.0
Progress = Callable[[float], None]


class HalfOverlap:
    """Framing for an STFT engine with 50 % overlap: (n, hop) frames in, (n, 2 hop) windows
    out (the previous hop, then this one); and back by overlap-add. Both ends carry over."""

    def __init__(self, hop: int) -> None:
        self.hop = hop
        self.tail = np.zeros(hop)  # the last input hop
        self.overlap = np.zeros(hop)  # the last window's second half, not yet output

    def windows(self, frames: np.ndarray) -> np.ndarray:
        samples = np.concatenate([self.tail, frames.reshape(-1)])
        self.tail = samples[-self.hop :]
        return np.lib.stride_tricks.sliding_window_view(samples, 2 * self.hop)[:: self.hop]

    def overlap_add(self, windows: np.ndarray) -> np.ndarray:
        out = windows[:, : self.hop].copy()
        out[0] += self.overlap
        out[1:] += windows[:-1, self.hop :]
        self.overlap = windows[-1, self.hop :]
        return out.astype(np.float32)


class FrameDenoiser(Protocol):
    """One channel's state: denoises ``frames`` (n >= 1, hop) float32 in order."""

    def process(self, frames: np.ndarray) -> np.ndarray: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class FrameEngine:
    rate: int  # the model's sample rate
    hop: int  # samples per frame
    delay: int  # output lags input by this many samples (measured; see tests)
    create: Callable[[], FrameDenoiser]
    # The loudness each file is scaled to on the way in, and back from on the way out: where
    # the model did best on mixes the benchmark does not score (see ``input_gain``).
    loudness_lufs: float
    # Upsample from rates that divide ``rate`` with a short Kaiser FIR rather than soxr: see
    # ``_PolyphaseUpsampler`` for why DeepFilterNet wants it.
    soft_upsampling: bool = False


def channel_loudness(signal: np.ndarray, *, sample_rate: int) -> float:
    """A channel's integrated loudness (BS.1770, LUFS); where its gates find nothing to
    measure (under 0.4 s, below -70 LUFS) the plain mean power in the same units; -inf for
    digital silence. One value per channel: the engines were tuned on mono, and a quiet
    second microphone must not ride on a loud first one."""
    lufs = integrated_loudness(signal[None, :], sample_rate=sample_rate)
    if np.isfinite(lufs):
        return lufs
    energy = 0.0
    for start in range(0, signal.size, 1 << 20):  # no float64 copy of a long file
        chunk = signal[start : start + (1 << 20)].astype(np.float64)
        energy += float(chunk @ chunk)
    return -0.691 + 10 * np.log10(energy / signal.size) if energy > 0 else float("-inf")


def input_gain(*, loudness_lufs: float, target_lufs: float) -> float:
    """The one gain that brings a channel to an engine's loudness; 1 for silence.

    The networks learnt speech at some levels and not others, and it shows: the same mixes
    40 dB down took DFN3 from +7.9 to -34 dB SI-SDR (it removed the quiet speech as noise),
    while NSNet2 and RNNoise do best far below full scale. With one gain per channel and
    file the output no longer depends on how loud the file was recorded, and the state
    carried across blocks sees one steady level.
    """
    if not np.isfinite(loudness_lufs):
        return 1.0
    return float(10 ** ((target_lufs - loudness_lufs) / 20))


class _Resampler(Protocol):
    delay: int  # output samples to drop from the front to align it with the input

    def resample_chunk(self, block: np.ndarray, last: bool = False) -> np.ndarray: ...


class _Soxr:
    """soxr's streaming resampler: steep, its own delay already removed."""

    delay = 0

    def __init__(self, *, source_rate: int, rate: int) -> None:
        self.stream = soxr.ResampleStream(source_rate, rate, 1, "float32")

    def resample_chunk(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        return self.stream.resample_chunk(block, last=last)


class _PolyphaseUpsampler:
    """Upsampling by an integer factor with scipy ``resample_poly``'s filter, streamed.

    DeepFilterNet3 was trained on full-band 48 kHz audio only (its config has
    ``p_bandwidth_ext = 0``). soxr cuts a 16 kHz recording off steeply below 8 kHz and leaves
    digital silence above; this Kaiser filter (beta 5, 10 taps per factor each side) keeps
    the top of the band and lets a faint image through above it, and on the same mixes
    DeepFilterNet3 then removes markedly more noise (README, "Denoise engines": +2.4 dB
    SI-SDR on 12 noises, better in 45 of 48 mixes). The image lies above the source's
    Nyquist, so resampling the output back to the source rate removes it.
    """

    def __init__(self, *, factor: int) -> None:
        half = 10 * factor
        self.factor = factor
        self.taps = firwin(2 * half + 1, 1.0 / factor, window=("kaiser", 5.0)) * factor
        self.state = np.zeros(self.taps.size - 1)
        self.delay = half  # linear phase: the centre tap

    def resample_chunk(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        # The last chunk also flushes what the filter still holds (``delay`` samples).
        stuffed = np.zeros(block.size * self.factor + (self.delay if last else 0))
        stuffed[: block.size * self.factor : self.factor] = block
        out, self.state = lfilter(self.taps, 1.0, stuffed, zi=self.state)
        return out.astype(np.float32)


def _upsampler(*, source_rate: int, engine: FrameEngine) -> _Resampler:
    if engine.soft_upsampling and source_rate < engine.rate and engine.rate % source_rate == 0:
        return _PolyphaseUpsampler(factor=engine.rate // source_rate)
    return _Soxr(source_rate=source_rate, rate=engine.rate)


class WetStream:
    """One channel through one frame engine: aligned denoised samples at the source rate.

    ``wet_chunk`` takes the channel's next input block and returns the denoised samples that
    are now known, continuing where the previous call stopped (the engine and resamplers lag,
    so a chunk is shorter than its block until ``last`` flushes them).
    """

    def __init__(
        self, *, length: int, sample_rate: int, engine: FrameEngine, loudness_lufs: float
    ) -> None:
        """``loudness_lufs``: the channel's whole loudness (``channel_loudness``)."""
        self.engine, self.length = engine, length
        self.gain = np.float32(
            input_gain(loudness_lufs=loudness_lufs, target_lufs=engine.loudness_lufs))
        self.state = engine.create()
        same_rate = sample_rate == engine.rate
        self.up = None if same_rate else _upsampler(source_rate=sample_rate, engine=engine)
        self.down = None if same_rate else _Soxr(source_rate=engine.rate, rate=sample_rate)
        self.pending = np.empty(0, dtype=np.float32)  # engine-rate samples short of a frame
        self.skip = engine.delay + (self.up.delay if self.up else 0)
        self.produced = 0

    def wet_chunk(self, block: np.ndarray, *, last: bool) -> np.ndarray:
        block = block * self.gain  # a float32 copy: the writer overwrites ``block`` later
        if self.up is not None:
            block = self.up.resample_chunk(block, last=last)
        if last:  # flush the engine's delay and the partial frame with silence
            block = np.concatenate(
                [block, np.zeros(self.engine.delay + self.engine.hop, dtype=np.float32)]
            )
        wet = self._denoise(block)
        if self.down is not None:
            wet = self.down.resample_chunk(wet, last=last)
        wet = wet[: self.length - self.produced] / self.gain
        self.produced += wet.size
        return wet

    def _denoise(self, block: np.ndarray) -> np.ndarray:
        samples = np.concatenate([self.pending, block])
        whole = samples.size - samples.size % self.engine.hop
        self.pending = samples[whole:]
        if whole == 0:  # a block shorter than one frame (after resampling): nothing yet
            return np.empty(0, dtype=np.float32)
        out = self.state.process(samples[:whole].reshape(-1, self.engine.hop)).reshape(-1)
        dropped = min(self.skip, out.size)
        self.skip -= dropped
        return out[dropped:]

    def close(self) -> None:
        self.state.close()


class InPlaceWriter:
    """Writes a channel's wet samples over its input, mixed with the dry ones (``wet`` share).

    A position is overwritten only once its denoised value is known, and the streams have
    read it by then: until then it still holds the dry sample that the mix needs.
    """

    def __init__(self, signal: np.ndarray, *, wet: float) -> None:
        self.signal, self.wet, self.written = signal, wet, 0

    def write(self, chunk: np.ndarray) -> None:
        target = self.signal[self.written : self.written + chunk.size]
        if self.wet < 1.0:
            chunk = self.wet * chunk + (1.0 - self.wet) * target
        target[:] = chunk
        self.written += chunk.size


class ChunkStream(Protocol):
    """A channel's samples through something that may lag: ``WetStream`` and the like."""

    def wet_chunk(self, block: np.ndarray, *, last: bool) -> np.ndarray: ...

    def close(self) -> None: ...


Combine = Callable[[list[np.ndarray], bool], np.ndarray]  # (chunks, last) -> samples


def _only(chunks: list[np.ndarray], last: bool) -> np.ndarray:
    return chunks[0]


class StreamsChannel:
    """One channel: each block through every stream, their chunks combined (by default the
    one stream's), the result written over the input in place."""

    def __init__(self, signal: np.ndarray, *, streams: list[ChunkStream], wet: float,
                 combine: Combine = _only) -> None:
        self.signal, self.streams, self.combine = signal, streams, combine
        self.writer = InPlaceWriter(signal, wet=wet)

    def feed(self, *, start: int, stop: int, last: bool) -> None:
        block = self.signal[start:stop]
        combined = self.combine([s.wet_chunk(block, last=last) for s in self.streams], last)
        self.writer.write(combined[: self.signal.size - self.writer.written])

    def close(self) -> None:
        for stream in self.streams:
            stream.close()


def _feed(channel: StreamsChannel, start: int, stop: int, last: bool) -> None:
    channel.feed(start=start, stop=stop, last=last)


def blocks_run(
    channels: list[StreamsChannel], *, length: int, sample_rate: int, progress: Progress | None
) -> None:
    """Feed every channel the file block by block, channels in parallel threads:
    onnxruntime, ctypes and NumPy release the GIL."""
    block = max(1, int(BLOCK_S * sample_rate))
    try:
        with ThreadPoolExecutor(max_workers=len(channels)) as pool:
            for start in range(0, length, block):
                stop = min(start + block, length)
                last = stop == length
                list(pool.map(_feed, channels, repeat(start), repeat(stop), repeat(last)))
                if progress:
                    progress(stop / length)
    finally:
        for channel in channels:
            channel.close()


def denoise_frames(
    audio: np.ndarray,
    *,
    sample_rate: int,
    engine: FrameEngine,
    wet: float,
    progress: Progress | None = None,
) -> np.ndarray:
    """Denoise (channels, samples) float32 IN PLACE; ``wet`` 0..1 is the denoised share."""
    channels = [
        StreamsChannel(row, wet=wet, streams=[
            WetStream(length=row.size, sample_rate=sample_rate, engine=engine,
                      loudness_lufs=channel_loudness(row, sample_rate=sample_rate))])
        for row in audio
    ]
    blocks_run(channels, length=audio.shape[1], sample_rate=sample_rate, progress=progress)
    return audio
