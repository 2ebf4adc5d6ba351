"""Audio that never sits whole in memory: sources of (channels, n) float32 blocks.

An hour of stereo float32 is 1.2 GB. A job that needs its input more than once, or an output
made window by window, keeps it in a ``RawAudio``: float32 frames in an anonymous temporary
file, read back into one reused buffer. The file has no name (it is unlinked as it is
created), so the kernel frees it however the process ends, a killed worker included; plain
reads rather than ``np.memmap``, because mapped pages count in the process's RSS.

Plain Python, no Django.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

BLOCK_FRAMES = 1 << 18  # 6 s at 44.1 kHz: 2 MB of stereo float32
SAMPLE_BYTES = 4


class BlockSource(Protocol):
    """What an encoder reads: a known shape, then blocks in order (valid until the next)."""

    channels: int
    frames: int

    def blocks(self) -> Iterator[np.ndarray]: ...


class AudioReader(BlockSource, Protocol):
    """A BlockSource that can also be read at any position (an engine's windows)."""

    def read(self, start: int, stop: int) -> np.ndarray: ...


class AudioWriter(Protocol):
    """Takes (channels, n) blocks in order."""

    def append(self, block: np.ndarray) -> None: ...


class ArrayBlocks:
    """An in-memory (channels, frames) array as a BlockSource: views, no copies."""

    def __init__(self, audio: np.ndarray, *, block_frames: int = BLOCK_FRAMES) -> None:
        self.audio, self.block_frames = audio, block_frames
        self.channels, self.frames = audio.shape

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.audio[:, start:stop]

    def blocks(self) -> Iterator[np.ndarray]:
        return _blocks(self)


class RawAudio:
    """float32 (channels, frames) audio in an anonymous temporary file.

    Written by ``append`` (in order), read by ``read(start, stop)`` or ``blocks()``. A block
    read is a view of a buffer that the next read of this object overwrites: copy it to keep
    it. Close it (or use it as a context manager) to free the disk space at once.
    """

    def __init__(
        self, *, channels: int, directory: Path | None = None, block_frames: int = BLOCK_FRAMES
    ) -> None:
        self.channels, self.frames, self.block_frames = channels, 0, block_frames
        self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed by close())
        self._buffer = np.empty(0, dtype=np.float32)

    def __enter__(self) -> RawAudio:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()
        self._buffer = np.empty(0, dtype=np.float32)

    def append(self, block: np.ndarray) -> None:
        """Add (channels, n) frames at the end (stored interleaved, as audio files are)."""
        if block.shape[0] != self.channels:
            raise ValueError(
                f"a block of {block.shape[0]} channels in {self.channels}-channel audio"
            )
        self._file.seek(self.frames * self.channels * SAMPLE_BYTES)
        interleaved = np.ascontiguousarray(block.T, dtype=np.float32)
        self._file.write(memoryview(interleaved).cast("B"))
        self.frames += block.shape[1]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames [start, stop) as a (channels, n) view of the reused buffer."""
        stop = min(stop, self.frames)
        count = max(0, stop - start) * self.channels
        if self._buffer.size < count:
            self._buffer = np.empty(count, dtype=np.float32)
        target = memoryview(self._buffer[:count]).cast("B")
        self._file.seek(start * self.channels * SAMPLE_BYTES)
        if self._file.readinto(target) != target.nbytes:
            raise OSError(f"short read of frames {start}-{stop} from a temporary audio file")
        return self._buffer[:count].reshape(-1, self.channels).T

    def blocks(self) -> Iterator[np.ndarray]:
        return _blocks(self)


class Difference:
    """``minuend - subtraend``, block by block (e.g. instrumental = mix - vocals)."""

    def __init__(self, minuend: RawAudio, subtrahend: RawAudio) -> None:
        if (minuend.channels, minuend.frames) != (subtrahend.channels, subtrahend.frames):
            raise ValueError("a difference of audio of different shapes")
        self.minuend, self.subtrahend = minuend, subtrahend
        self.channels, self.frames = minuend.channels, minuend.frames
        self.block_frames = minuend.block_frames

    def read(self, start: int, stop: int) -> np.ndarray:
        # The minuend's buffer is overwritten by its next read anyway: subtract in place.
        block = self.minuend.read(start, stop)
        return np.subtract(block, self.subtrahend.read(start, stop), out=block)

    def blocks(self) -> Iterator[np.ndarray]:
        return _blocks(self)


def _blocks(source: ArrayBlocks | RawAudio | Difference) -> Iterator[np.ndarray]:
    for start in range(0, source.frames, source.block_frames):
        yield source.read(start, start + source.block_frames)


class ArrayWriter:
    """Appends blocks, in order, into a preallocated (channels, frames) array."""

    def __init__(self, audio: np.ndarray) -> None:
        self.audio, self.frames = audio, 0
        self.channels = audio.shape[0]

    def append(self, block: np.ndarray) -> None:
        self.audio[:, self.frames : self.frames + block.shape[1]] = block
        self.frames += block.shape[1]
