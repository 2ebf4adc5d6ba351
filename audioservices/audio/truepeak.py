"""Per-sample true-peak envelope: |x| and the three in-between points of 4x oversampling.

BS.1770-4's true peak is the peak of the signal upsampled 4x. scipy's resample_poly computes
all four phases and then needs an abs/reshape/max pass; these kernels compute only the three
new phases with a 48-tap windowed-sinc interpolator (phase 0 of a Nyquist filter is the input
itself) and fold the max over phases and channels as they go.

Two things keep them fast:

- Work goes tile by tile through a zero-padded float64 copy of the tile, tap by tap over the
  tile, so the inner loops have no bounds checks and LLVM vectorises them.
- An interpolated point can exceed the largest |x| in reach of the filter by at most
  ``GAIN_BOUND`` (the largest sum of |taps| of a phase). Stretches where that bound stays
  under ``floor`` are not interpolated: the caller only needs the exact envelope where it
  can reach ``floor`` (the limiter: where gain would have to drop; the true peak: above the
  largest value found so far). Where it is computed, the result is the same as computing
  everywhere, bit for bit.
"""

from __future__ import annotations

import numba
import numpy as np
from scipy.signal import firwin

OVERSAMPLE = 4
TAPS_PER_PHASE = 12
_DELAY = TAPS_PER_PHASE // 2  # input samples of group delay of the interpolator
TILE = 64  # samples interpolated (or skipped) together; short, so skipping is fine-grained


def _phases() -> np.ndarray:
    taps = firwin(OVERSAMPLE * TAPS_PER_PHASE + 1, 1 / OVERSAMPLE) * OVERSAMPLE
    return np.stack([taps[r::OVERSAMPLE][:TAPS_PER_PHASE] for r in range(1, OVERSAMPLE)])


PHASES = _phases()
# A little over the exact bound, so rounding in the sums can never beat it.
GAIN_BOUND = float(np.abs(PHASES).sum(axis=1).max()) * (1 + 1e-6)


@numba.njit(cache=True, nogil=True, fastmath=True)
def _tile_peaks(audio, channel, start, n, phases, window, acc, peak) -> None:
    """peak[:n] = max(peak, |x|, |interpolated|) for samples start .. start + n - 1."""
    length = audio.shape[1]
    n_phases, n_taps = phases.shape
    first = start + _DELAY - (n_taps - 1)  # window[q] holds x[first + q], zero outside
    for q in range(n + n_taps - 1):
        i = first + q
        window[q] = audio[channel, i] if 0 <= i < length else 0.0
    # Slices, not window[k + offset]: an index that might be negative gets a wraparound
    # branch, which stops LLVM vectorising the loop.
    samples = window[n_taps - 1 - _DELAY :]
    for k in range(n):
        peak[k] = max(peak[k], abs(samples[k]))
    for r in range(n_phases):
        acc[:n] = 0.0
        for j in range(n_taps):
            h = phases[r, j]
            shifted = window[n_taps - 1 - j :]
            for k in range(n):
                acc[k] += h * shifted[k]
        for k in range(n):
            peak[k] = max(peak[k], abs(acc[k]))


@numba.njit(cache=True, nogil=True, fastmath=True)
def _reach_peak(audio, channel, start, n) -> float:
    """The largest |x| the interpolator reads for samples start .. start + n - 1."""
    length = audio.shape[1]
    low = max(0, start + _DELAY - (TAPS_PER_PHASE - 1))
    high = min(length, start + n + _DELAY)
    best = 0.0
    for i in range(low, high):
        best = max(best, abs(audio[channel, i]))
    return best


@numba.njit(cache=True, nogil=True, fastmath=True)
def _envelope(audio, start, stop, phases, floor, bound):
    channels = audio.shape[0]
    out = np.zeros(stop - start, dtype=np.float32)
    window = np.zeros(TILE + phases.shape[1], dtype=np.float64)
    acc = np.empty(TILE, dtype=np.float64)
    peak = np.empty(TILE, dtype=np.float64)
    for tile in range(start, stop, TILE):
        n = min(TILE, stop - tile)
        for c in range(channels):
            peak[:n] = 0.0
            if _reach_peak(audio, c, tile, n) * bound < floor:
                for k in range(n):  # the sample itself: a lower bound, under floor
                    peak[k] = abs(audio[c, tile + k])
            else:
                _tile_peaks(audio, c, tile, n, phases, window, acc, peak)
            for k in range(n):
                value = np.float32(peak[k])
                if value > out[tile - start + k]:
                    out[tile - start + k] = value
    return out


@numba.njit(cache=True, nogil=True, fastmath=True)
def _max_peak(audio, start, stop, phases, floor, bound) -> float:
    channels = audio.shape[0]
    window = np.zeros(TILE + phases.shape[1], dtype=np.float64)
    acc = np.empty(TILE, dtype=np.float64)
    peak = np.empty(TILE, dtype=np.float64)
    best = np.float32(floor)
    for tile in range(start, stop, TILE):
        n = min(TILE, stop - tile)
        for c in range(channels):
            if _reach_peak(audio, c, tile, n) * bound < best:
                continue
            peak[:n] = 0.0
            _tile_peaks(audio, c, tile, n, phases, window, acc, peak)
            for k in range(n):
                best = max(best, np.float32(peak[k]))
    return best


def peak_envelope(audio: np.ndarray, start: int, stop: int, *, floor: float = 0.0) -> np.ndarray:
    """For samples [start, stop): the largest |value| at and just after each, any channel.

    Exact wherever it is at least ``floor``; elsewhere a value under ``floor`` (and at least
    the sample's own |x|).
    """
    return _envelope(audio, start, stop, PHASES, floor, GAIN_BOUND)


def max_true_peak(audio: np.ndarray, start: int, stop: int, *, floor: float = 0.0) -> float:
    """``max(floor, peak_envelope(audio, start, stop).max())``, interpolating only where the
    envelope can still beat the largest value found so far."""
    return float(_max_peak(audio, start, stop, PHASES, floor, GAIN_BOUND))
