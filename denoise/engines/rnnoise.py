"""RNNoise (the model built into ``pyrnnoise``'s librnnoise), 48 kHz, 480-sample frames.

We call pyrnnoise's ctypes binding frame by frame rather than ``RNNoise.denoise_chunk``:
that wrapper resamples through FFmpeg filter graphs and rounds to int16 on the way, while
here soxr does the resampling (frames.py) and the samples stay float. RNNoise works on
int16-scaled floats. Creating a state is cheap (the weights are compiled in).
"""

from __future__ import annotations

import ctypes
from functools import cache

import numpy as np
from pyrnnoise import rnnoise as native

from denoise.engines.frames import FrameEngine

RATE = 48_000
HOP = 480
DELAY = 960  # measured in tests/denoise
INT16_SCALE = 32768.0


@cache
def _process_frame():
    # Our own handle on the function, typed with plain addresses: pyrnnoise's is typed with
    # float pointers, which would cost a ctypes.cast per frame.
    function = ctypes.CDLL(native.LIBRNNOISE).rnnoise_process_frame
    function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    function.restype = ctypes.c_float
    return function


class RnnoiseState:
    def __init__(self) -> None:
        if native.FRAME_SIZE != HOP:
            raise RuntimeError("unexpected RNNoise frame size")
        self.handle = native.create()

    def process(self, frames: np.ndarray) -> np.ndarray:
        scaled = np.ascontiguousarray(frames * INT16_SCALE, dtype=np.float32)
        out = np.empty_like(scaled)
        step = HOP * scaled.itemsize
        src, dst, run = scaled.ctypes.data, out.ctypes.data, _process_frame()
        for index in range(scaled.shape[0]):
            run(self.handle, dst + index * step, src + index * step)  # (state, out, in)
        out /= INT16_SCALE
        return out

    def close(self) -> None:
        if self.handle:
            native.destroy(self.handle)
            self.handle = None


# Loudness: -58 / -53 / -48 LUFS gave +5.42 / +5.43 / +5.39 dB SI-SDR on mixes the benchmark
# does not score, -19 (as mixed) +4.74.
ENGINE = FrameEngine(rate=RATE, hop=HOP, delay=DELAY, create=RnnoiseState, loudness_lufs=-53.0)
