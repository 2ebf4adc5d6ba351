"""Decide by content what a file is, and read its header facts without decoding it.

Extensions and Content-Type headers are not trusted: the first bytes pick the container
(an allowlist of four), and the container is then opened with that demuxer forced, so a
playlist or an HTML page renamed ``.m4a`` never reaches FFmpeg's format guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from audioservices.audio.errors import (
    BAD_SAMPLE_RATE,
    NO_AUDIO,
    NOT_FINITE,
    TOO_LONG,
    TOO_MANY_CHANNELS,
    TRUNCATED,
    UNREADABLE,
    UNSUPPORTED_TYPE,
    InvalidAudio,
)

FORMATS = ("mp3", "wav", "m4a", "flac")
MAX_CHANNELS = 8
MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 192_000
M4A_BRANDS = (b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso2", b"dash", b"MSNV", b"3gp")


@dataclass(frozen=True)
class AudioInfo:
    format: str
    sample_rate: int
    channels: int
    duration: float
    subtype: str | None = None  # soundfile's PCM subtype for WAV/FLAC, kept on re-encoding


def _is_mp3(head: bytes) -> bool:
    if head.startswith(b"ID3"):
        return True
    # An MPEG audio frame header: 11 sync bits, then a layer III (or II) description.
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and head[1] & 0x06


def sniff_format(head: bytes) -> str | None:
    """The container named by the file's first bytes, or None if it is none of ours."""
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head[4:8] == b"ftyp" and head[8:12].startswith(M4A_BRANDS):
        return "m4a"
    if _is_mp3(head):
        return "mp3"
    return None


def check_limits(info: AudioInfo, *, max_duration_s: float) -> AudioInfo:
    if not 1 <= info.channels <= MAX_CHANNELS:
        raise InvalidAudio(TOO_MANY_CHANNELS.format(max=MAX_CHANNELS))
    if not MIN_SAMPLE_RATE <= info.sample_rate <= MAX_SAMPLE_RATE:
        raise InvalidAudio(
            BAD_SAMPLE_RATE.format(rate=info.sample_rate, low=MIN_SAMPLE_RATE, high=MAX_SAMPLE_RATE)
        )
    if info.duration <= 0:
        raise InvalidAudio(NO_AUDIO, unsupported=True)
    if info.duration > max_duration_s:
        raise InvalidAudio(TOO_LONG.format(duration=info.duration, limit=max_duration_s))
    return info


def _wav_data_overruns_file(path: Path) -> bool:
    """True when a RIFF WAV's data chunk claims more bytes than the file holds.

    libsndfile silently shortens such files; we refuse them, because a header that lies about
    its size is a truncated upload or a crafted file. Sizes of 0 and 0xFFFFFFFF mean "unknown"
    (streaming recorders, RF64) and are accepted.
    """
    size = Path(path).stat().st_size
    with open(path, "rb") as handle:
        if handle.read(4) != b"RIFF":
            return False
        handle.seek(12)
        while True:
            header = handle.read(8)
            if len(header) < 8:
                return False
            chunk, length = header[:4], int.from_bytes(header[4:], "little")
            if chunk == b"data":
                return length not in (0, 0xFFFFFFFF) and handle.tell() + length > size
            handle.seek(length + (length & 1), 1)


def _probe_soundfile(path: Path, fmt: str) -> AudioInfo:
    if fmt == "wav" and _wav_data_overruns_file(path):
        raise InvalidAudio(TRUNCATED, unsupported=True)
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InvalidAudio(UNREADABLE, unsupported=True) from exc
    subtype = info.subtype if fmt in ("wav", "flac") else None
    return AudioInfo(fmt, int(info.samplerate), int(info.channels), float(info.duration), subtype)


def _probe_m4a(path: Path) -> AudioInfo:
    try:
        with av.open(str(path), format="mp4") as container:
            if not container.streams.audio:
                raise InvalidAudio(NO_AUDIO, unsupported=True)
            stream = container.streams.audio[0]
            seconds = (container.duration or 0) / av.time_base
            return AudioInfo("m4a", int(stream.rate or 0), int(stream.channels or 0), seconds)
    except av.error.FFmpegError as exc:
        raise InvalidAudio(UNREADABLE, unsupported=True) from exc


def probe(path: Path, *, max_duration_s: float) -> AudioInfo:
    """Sniff, open with the sniffed demuxer and check the header's limits; decode nothing."""
    with open(path, "rb") as handle:
        fmt = sniff_format(handle.read(64))
    if fmt is None:
        raise InvalidAudio(UNSUPPORTED_TYPE, unsupported=True)
    info = _probe_m4a(path) if fmt == "m4a" else _probe_soundfile(path, fmt)
    return check_limits(info, max_duration_s=max_duration_s)


def valid_audio(audio: np.ndarray) -> np.ndarray:
    """The one guard at every engine entry: float32 (channels, samples), non-empty, finite."""
    if audio.ndim != 2 or audio.shape[1] == 0 or audio.shape[0] == 0:
        raise InvalidAudio(NO_AUDIO)
    if not _all_finite(audio):
        raise InvalidAudio(NOT_FINITE)
    return audio.astype(np.float32, copy=False)


def _all_finite(audio: np.ndarray, *, block: int = 1 << 20) -> bool:
    # In blocks: np.isfinite of a whole hour of stereo is a 300 MB temporary.
    return all(np.isfinite(audio[:, start : start + block]).all()
               for start in range(0, audio.shape[1], block))
