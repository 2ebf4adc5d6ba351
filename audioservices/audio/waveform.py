"""Waveform pictures: a min/max envelope per pixel column, drawn as a PNG with Pillow.

The envelope is taken over all channels at once from a view of the decoded array (no copy:
an hour of stereo is 1.2 GB), so it can be computed before an engine overwrites its input.
Amplitudes are drawn to scale (full height = full scale), so a boost is visible as such.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from audioservices.audio.blocks import BlockSource

WIDTH = 800
HEIGHT = 120
INPUT_COLOR = (100, 116, 139)  # slate: what came in
OUTPUT_COLOR = (13, 148, 136)  # teal: what we made


STEP_FRAMES = 1 << 16  # frames reduced at a time: small temporaries, whatever the block


class EnvelopeBuilder:
    """The envelope of ``length`` frames fed in order, in blocks of any size (for audio that
    streams through a job and is never whole in memory).

    Column ``c`` covers frames [c * per_column, (c + 1) * per_column); the last few frames
    that do not fill a column belong to the last column.
    """

    def __init__(self, length: int, *, columns: int = WIDTH) -> None:
        self.columns = max(1, min(columns, length))
        self.per_column = max(1, length // self.columns)
        self.lows = np.full(self.columns, np.inf, dtype=np.float32)
        self.highs = np.full(self.columns, -np.inf, dtype=np.float32)
        self.position = 0

    def add(self, block: np.ndarray) -> None:
        for start in range(0, block.shape[1], STEP_FRAMES):
            part = block[:, start : start + STEP_FRAMES]
            self._add_frames(part.min(axis=0), part.max(axis=0))

    def _add_frames(self, lows: np.ndarray, highs: np.ndarray) -> None:
        first, last = self.position, self.position + lows.size - 1
        first_column = min(first // self.per_column, self.columns - 1)
        last_column = min(last // self.per_column, self.columns - 1)
        columns = np.arange(first_column, last_column + 1)
        starts = np.maximum(columns * self.per_column - first, 0)
        span = slice(first_column, last_column + 1)
        np.minimum(self.lows[span], np.minimum.reduceat(lows, starts), out=self.lows[span])
        np.maximum(self.highs[span], np.maximum.reduceat(highs, starts), out=self.highs[span])
        self.position += lows.size

    def result(self) -> np.ndarray:
        """(2, columns) float32: the lowest and highest sample of each column, all channels."""
        return np.stack([self.lows, self.highs])


def envelope_of(source: BlockSource) -> np.ndarray:
    """The envelope of audio read block by block (e.g. from a temporary file)."""
    builder = EnvelopeBuilder(source.frames)
    for block in source.blocks():
        builder.add(block)
    return builder.result()


def envelope(audio: np.ndarray, *, columns: int = WIDTH) -> np.ndarray:
    """(2, columns) float32: the lowest and highest sample of each column, all channels."""
    builder = EnvelopeBuilder(audio.shape[1], columns=columns)
    builder.add(audio)
    return builder.result()


def render_png(
    bounds: np.ndarray, *, height: int = HEIGHT, color: tuple[int, int, int] = OUTPUT_COLOR
) -> bytes:
    """The envelope as a transparent PNG, one column per envelope entry, a centre line."""
    lows, highs = np.clip(bounds, -1.0, 1.0)
    half = (height - 1) / 2
    top = np.floor((1.0 - highs) * half)[None, :]
    bottom = np.ceil((1.0 - lows) * half)[None, :]
    rows = np.arange(height)[:, None]
    ink = (rows >= top) & (rows <= bottom)
    ink[int(half)] = True  # silence still shows as a line
    pixels = np.zeros((height, bounds.shape[1], 4), dtype=np.uint8)
    pixels[ink] = (*color, 255)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(out, format="PNG", optimize=True)
    return out.getvalue()
