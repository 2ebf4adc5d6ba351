"""Waveform pictures: a min/max envelope per pixel column, drawn as a PNG with Pillow.

The envelope is taken over all channels at once from a view of the decoded array (no copy:
an hour of stereo is 1.2 GB), so it can be computed before an engine overwrites its input.
Amplitudes are drawn to scale (full height = full scale), so a boost is visible as such.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

WIDTH = 800
HEIGHT = 120
INPUT_COLOR = (100, 116, 139)  # slate: what came in
OUTPUT_COLOR = (13, 148, 136)  # teal: what we made


def envelope(audio: np.ndarray, *, columns: int = WIDTH) -> np.ndarray:
    """(2, columns) float32: the lowest and highest sample of each column, all channels."""
    length = audio.shape[1]
    columns = max(1, min(columns, length))
    per_column = length // columns
    body = audio[:, : per_column * columns].reshape(audio.shape[0], columns, per_column)
    lows, highs = body.min(axis=(0, 2)), body.max(axis=(0, 2))
    tail = audio[:, per_column * columns :]
    if tail.size:  # the last few samples belong to the last column
        lows[-1], highs[-1] = min(lows[-1], tail.min()), max(highs[-1], tail.max())
    return np.stack([lows, highs]).astype(np.float32)


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
