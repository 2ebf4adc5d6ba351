"""Cut a byte stream of little-endian float32 samples into the chain's 960-sample frames.

No Django: ``/stream-audio`` feeds it the request body as it arrives. It keeps only the bytes
of one unfinished frame between calls, so its memory does not grow with the stream.
"""

from __future__ import annotations

import numpy as np

from mixer.dsp import FRAME_SIZE

SAMPLE_BYTES = 4
FRAME_BYTES = FRAME_SIZE * SAMPLE_BYTES
WIRE_DTYPE = np.dtype("<f4")


class TrailingBytes(ValueError):
    """The stream ended in the middle of a sample (its length is not a multiple of 4)."""


class FrameCountError(ValueError):
    """A message that is not 1 to ``max_frames`` whole frames."""


def frames_from_message(data: bytes, *, max_frames: int) -> np.ndarray:
    """One binary message of 1 to ``max_frames`` whole frames as a (k, FRAME_SIZE) float32
    array (a copy: native, owned); FrameCountError for any other length."""
    count, rest = divmod(len(data), FRAME_BYTES)
    if rest or not 1 <= count <= max_frames:
        raise FrameCountError(f"{len(data)} bytes is not 1 to {max_frames} frames of "
                              f"{FRAME_BYTES} bytes")
    return np.frombuffer(data, WIRE_DTYPE).astype(np.float32).reshape(count, FRAME_SIZE)


class FrameSplitter:
    def __init__(self) -> None:
        self._pending = bytearray()
        self.bytes_in = 0

    def feed(self, data: bytes) -> np.ndarray:
        """The complete frames ``data`` finishes, as a (n, FRAME_SIZE) float32 array."""
        self.bytes_in += len(data)
        self._pending += data
        whole = len(self._pending) // FRAME_BYTES * FRAME_BYTES
        if not whole:
            return np.empty((0, FRAME_SIZE), np.float32)
        view = np.frombuffer(self._pending, WIRE_DTYPE, count=whole // SAMPLE_BYTES)
        frames = view.astype(np.float32).reshape(-1, FRAME_SIZE)  # a copy: native, owned
        del view  # release the buffer export, or the bytearray cannot shrink
        del self._pending[:whole]
        return frames

    def finish(self) -> tuple[np.ndarray, int] | None:
        """The last, partial frame zero-padded to FRAME_SIZE and its real sample count, or None
        when the stream ended on a frame boundary. TrailingBytes for a cut sample."""
        if len(self._pending) % SAMPLE_BYTES:
            raise TrailingBytes(f"the stream ended inside a sample: {self.bytes_in} bytes is "
                                f"not a multiple of {SAMPLE_BYTES}")
        if not self._pending:
            return None
        samples = np.frombuffer(bytes(self._pending), WIRE_DTYPE).astype(np.float32)
        self._pending.clear()
        frame = np.zeros(FRAME_SIZE, np.float32)
        frame[: samples.size] = samples
        return frame, samples.size
