"""Decode MP3/WAV/M4A/FLAC to float32 (channels, samples); encode back to the same format.

No system ffmpeg is needed: libsndfile (soundfile) reads WAV, FLAC and MP3 fastest; PyAV's
bundled FFmpeg handles AAC in MP4 and encodes MP3/AAC. Decoding runs in blocks and stops
as soon as the audio outgrows the duration limit, because headers can lie about length.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from audioservices.audio.errors import NO_AUDIO, TOO_LONG, UNREADABLE, InvalidAudio
from audioservices.audio.validate import AudioInfo, valid_audio

BLOCK_FRAMES = 1 << 18
LOSSY_BITRATE = {1: 128_000, 2: 192_000}  # per channel layout; more channels: 96 kb/s each
SOUNDFILE_FORMATS = {"wav": "WAV", "flac": "FLAC"}
PYAV_CODECS = {"mp3": ("mp3", "libmp3lame"), "m4a": ("mp4", "aac")}
KEPT_SUBTYPES = {"PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"}


class _Growable:
    """A (channels, n) float32 buffer that grows by doubling, refusing to pass ``limit``."""

    def __init__(self, channels: int, capacity: int, limit: int) -> None:
        self.data = np.empty((channels, max(1, min(capacity, limit))), dtype=np.float32)
        self.size = 0
        self.limit = limit

    def append(self, block: np.ndarray) -> None:
        end = self.size + block.shape[1]
        if end > self.limit:
            raise OverflowError(end)
        if end > self.data.shape[1]:
            grown = np.empty((self.data.shape[0], min(self.limit, 2 * end)), dtype=np.float32)
            grown[:, : self.size] = self.data[:, : self.size]
            self.data = grown
        self.data[:, self.size : end] = block
        self.size = end

    def result(self) -> np.ndarray:
        return self.data[:, : self.size]


def _soundfile_blocks(path: Path) -> Iterator[np.ndarray]:
    with sf.SoundFile(str(path)) as handle:
        while True:
            block = handle.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
            if not len(block):
                return
            yield block.T


def _pyav_blocks(path: Path) -> Iterator[np.ndarray]:
    with av.open(str(path), format="mp4") as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            block = frame.to_ndarray()
            if frame.format.is_planar:
                yield block.astype(np.float32, copy=False)
            else:  # interleaved: one row of samples * channels
                yield block.reshape(-1, stream.channels).T.astype(np.float32)


def decode(path: Path, *, info: AudioInfo, max_duration_s: float) -> np.ndarray:
    """The whole file as float32 (channels, samples) at ``info.sample_rate``."""
    limit = int(max_duration_s * info.sample_rate) + info.sample_rate  # one second of slack
    buffer = _Growable(info.channels, int(info.duration * info.sample_rate) + 1, limit)
    blocks = _pyav_blocks(path) if info.format == "m4a" else _soundfile_blocks(path)
    try:
        for block in blocks:
            if block.shape[0] != info.channels:
                raise InvalidAudio(UNREADABLE)
            buffer.append(block)
    except OverflowError as exc:
        seconds = exc.args[0] / info.sample_rate
        raise InvalidAudio(TOO_LONG.format(duration=seconds, limit=max_duration_s)) from exc
    except (sf.LibsndfileError, RuntimeError, av.error.FFmpegError) as exc:
        raise InvalidAudio(UNREADABLE) from exc
    if buffer.size == 0:
        raise InvalidAudio(NO_AUDIO)
    return valid_audio(buffer.result())


def _encode_pyav(path: Path, audio: np.ndarray, sample_rate: int, fmt: str) -> None:
    container_format, codec = PYAV_CODECS[fmt]
    channels = audio.shape[0]
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sample_rate, layout=layout)
        stream.bit_rate = LOSSY_BITRATE.get(channels, 96_000 * channels)
        for start in range(0, audio.shape[1], BLOCK_FRAMES):
            block = np.ascontiguousarray(audio[:, start : start + BLOCK_FRAMES])
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)
            frame.sample_rate = sample_rate
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def encode(
    path: Path, audio: np.ndarray, *, sample_rate: int, fmt: str, subtype: str | None = None
) -> None:
    """Write ``audio`` to ``path`` in ``fmt``, atomically: readers never see a partial file.

    Clip policy: samples are clamped to [-1, 1] for every format; the boost limiter keeps
    true peaks at -1 dBTP, so clamping only ever touches encoder-independent float overs.
    """
    audio = np.clip(audio, -1.0, 1.0)
    partial = path.with_name(path.name + ".part")
    try:
        if fmt in SOUNDFILE_FORMATS:
            kept = subtype if subtype in KEPT_SUBTYPES else "PCM_16"
            if fmt == "flac" and kept not in ("PCM_16", "PCM_24"):
                kept = "PCM_24"
            sf.write(str(partial), audio.T, sample_rate, format=SOUNDFILE_FORMATS[fmt], subtype=kept)
        else:
            _encode_pyav(partial, audio, sample_rate, fmt)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
