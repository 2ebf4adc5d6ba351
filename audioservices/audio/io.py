"""Decode MP3/WAV/M4A/FLAC to float32 (channels, samples); encode back to the same format.

No system ffmpeg is needed: libsndfile (soundfile) reads WAV, FLAC and MP3 fastest; PyAV's
bundled FFmpeg handles AAC in MP4 and encodes MP3/AAC. Decoding runs in blocks and stops
as soon as the audio outgrows the duration limit, because headers can lie about length.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from audioservices.audio.blocks import BLOCK_FRAMES, ArrayBlocks, BlockSource, RawAudio
from audioservices.audio.errors import NO_AUDIO, TOO_LONG, UNREADABLE, InvalidAudio
from audioservices.audio.validate import AudioInfo, valid_audio

LOSSY_BITRATE = {1: 128_000, 2: 192_000}  # per channel layout; more channels: 96 kb/s each
SOUNDFILE_FORMATS = {"wav": "WAV", "flac": "FLAC"}
PYAV_CODECS = {"mp3": ("mp3", "libmp3lame"), "m4a": ("mp4", "aac")}
KEPT_SUBTYPES = {"PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"}


class _Growable:
    """A (channels, n) float32 buffer that grows by doubling, never past ``limit``."""

    def __init__(self, channels: int, capacity: int, limit: int) -> None:
        self.data = np.empty((channels, max(1, min(capacity, limit))), dtype=np.float32)
        self.size = 0
        self.limit = limit

    def append(self, block: np.ndarray) -> None:
        end = self.size + block.shape[1]  # decode_blocks refuses input past ``limit`` first
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


def _frame_limit(info: AudioInfo, max_duration_s: float) -> int:
    return int(max_duration_s * info.sample_rate) + info.sample_rate  # one second of slack


def decode_blocks(path: Path, *, info: AudioInfo, max_duration_s: float) -> Iterator[np.ndarray]:
    """The file as float32 (channels, n) blocks, each checked: channel count, finite samples,
    and the running length against the duration limit (headers can lie about it).

    Raises InvalidAudio for anything unreadable, too long or empty.
    """
    limit = _frame_limit(info, max_duration_s)
    blocks = _pyav_blocks(path) if info.format == "m4a" else _soundfile_blocks(path)
    decoded = 0
    try:
        for block in blocks:
            if block.shape[0] != info.channels:
                raise InvalidAudio(UNREADABLE)
            decoded += block.shape[1]
            if decoded > limit:
                seconds = decoded / info.sample_rate
                raise InvalidAudio(TOO_LONG.format(duration=seconds, limit=max_duration_s))
            yield valid_audio(block)
    except (sf.LibsndfileError, RuntimeError, av.error.FFmpegError) as exc:
        raise InvalidAudio(UNREADABLE) from exc
    if decoded == 0:
        raise InvalidAudio(NO_AUDIO)


def decode(path: Path, *, info: AudioInfo, max_duration_s: float) -> np.ndarray:
    """The whole file as float32 (channels, samples) at ``info.sample_rate``."""
    limit = _frame_limit(info, max_duration_s)
    buffer = _Growable(info.channels, int(info.duration * info.sample_rate) + 1, limit)
    for block in decode_blocks(path, info=info, max_duration_s=max_duration_s):
        buffer.append(block)
    return buffer.result()


def decode_into(
    path: Path, target: RawAudio, *, info: AudioInfo, max_duration_s: float
) -> RawAudio:
    """Decode the whole file, block by block, into ``target`` (memory holds one block)."""
    for block in decode_blocks(path, info=info, max_duration_s=max_duration_s):
        target.append(block)
    return target


def _clipped(blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    for block in blocks:
        yield np.clip(block, -1.0, 1.0)


def _encode_soundfile(
    path: Path, source: BlockSource, sample_rate: int, fmt: str, subtype: str | None
) -> None:
    kept = subtype if subtype in KEPT_SUBTYPES else "PCM_16"
    if fmt == "flac" and kept not in ("PCM_16", "PCM_24"):
        kept = "PCM_24"
    with sf.SoundFile(
        str(path),
        "w",
        samplerate=sample_rate,
        channels=source.channels,
        format=SOUNDFILE_FORMATS[fmt],
        subtype=kept,
    ) as handle:
        for block in _clipped(source.blocks()):
            handle.write(block.T)


def _encode_pyav(path: Path, source: BlockSource, sample_rate: int, fmt: str) -> None:
    container_format, codec = PYAV_CODECS[fmt]
    channels = source.channels
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sample_rate, layout=layout)
        stream.bit_rate = LOSSY_BITRATE.get(channels, 96_000 * channels)
        for block in _clipped(source.blocks()):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(block), format="fltp", layout=layout
            )
            frame.sample_rate = sample_rate
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def encode_blocks(
    path: Path, source: BlockSource, *, sample_rate: int, fmt: str, subtype: str | None = None
) -> None:
    """Write ``source`` to ``path`` in ``fmt`` block by block, atomically: readers never see
    a partial file, and only one block is ever in memory.

    Clip policy: samples are clamped to [-1, 1] for every format; the boost limiter keeps
    true peaks at -1 dBTP, so clamping only ever touches encoder-independent float overs.
    """
    partial = path.with_name(path.name + ".part")
    try:
        if fmt in SOUNDFILE_FORMATS:
            _encode_soundfile(partial, source, sample_rate, fmt, subtype)
        else:
            _encode_pyav(partial, source, sample_rate, fmt)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def encode(
    path: Path, audio: np.ndarray, *, sample_rate: int, fmt: str, subtype: str | None = None
) -> None:
    """Write the (channels, samples) array ``audio``: ``encode_blocks`` over its blocks."""
    encode_blocks(path, ArrayBlocks(audio), sample_rate=sample_rate, fmt=fmt, subtype=subtype)
