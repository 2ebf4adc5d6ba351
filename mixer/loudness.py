"""Running integrated loudness (ITU-R BS.1770-4) of a stream fed in small frames. No Django.

The mixer meters each processed frame; with a stream id the meter's state persists, so
``lufs`` is the integrated loudness of everything the stream has produced so far:
K-weighting, 400 ms blocks every 100 ms, the absolute gate at -70 LUFS and the relative gate
10 LU under the mean of the blocks above it. Block energies are kept in 0.1 LU bins (count and
energy sum per bin) so the state is a fixed 1,612 floats however long the stream runs; only a
bin that straddles the relative gate is decided as a whole (its mean against the gate).

Before the first 400 ms block is complete (a stream's first 19 frames, or any single 20 ms
frame sent without a stream id) there is nothing to gate yet, and ``lufs`` is the ungated
K-weighted loudness of all samples so far, i.e. of that one frame: a short-window reading.
Silence reads ``METER_FLOOR_DB`` (-120), as the other meters do.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.signal import sosfilt

from mixer.dsp import METER_FLOOR_DB, SAMPLE_RATE

# BS.1770-4 K-weighting at 48 kHz: the "pre-filter" high shelf, then the RLB high-pass.
K_WEIGHTING_48K = np.array([
    [1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241,
     0.73248077421585],
    [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621],
])
SUB_BLOCK = SAMPLE_RATE // 10  # 100 ms hop; a 400 ms block is 4 sub-blocks
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
BIN_LU = 0.1
N_BINS = 800  # -70 .. +10 LUFS; louder blocks go to the last bin (their energy stays exact)

# State layout (float64): filter memories, sub-block accumulators, history, histogram.
_ZI = slice(0, 4)
_SUB_SUM, _SUB_N, _LAST3, _N_SUBS, _TOTAL_SUM, _TOTAL_N = 4, 5, slice(6, 9), 9, 10, 11
_COUNTS = slice(12, 12 + N_BINS)
_ENERGY = slice(12 + N_BINS, 12 + 2 * N_BINS)
STATE_SIZE = 12 + 2 * N_BINS


def new_meter_state() -> np.ndarray:
    return np.zeros(STATE_SIZE)


def _lufs(mean_square: float) -> float:
    return -0.691 + 10.0 * math.log10(mean_square) if mean_square > 0.0 else -math.inf


def _add_block(state: np.ndarray, mean_square: float) -> None:
    loudness = _lufs(mean_square)
    if loudness <= ABSOLUTE_GATE:
        return
    index = min(int((loudness - ABSOLUTE_GATE) / BIN_LU), N_BINS - 1)
    state[_COUNTS][index] += 1.0
    state[_ENERGY][index] += mean_square


def _close_sub_block(state: np.ndarray) -> None:
    sub_mean = state[_SUB_SUM] / SUB_BLOCK
    last3 = state[_LAST3]
    if state[_N_SUBS] >= 3:  # this sub-block completes a 400 ms block with the 3 before it
        _add_block(state, (last3.sum() + sub_mean) / 4.0)
    state[_LAST3] = (last3[1], last3[2], sub_mean)
    state[_N_SUBS] += 1.0
    state[_SUB_SUM] = state[_SUB_N] = 0.0


def _accumulate(state: np.ndarray, squares: np.ndarray) -> None:
    start = 0
    while start < squares.size:
        take = min(SUB_BLOCK - int(state[_SUB_N]), squares.size - start)
        state[_SUB_SUM] += float(squares[start : start + take].sum())
        state[_SUB_N] += take
        start += take
        if state[_SUB_N] == SUB_BLOCK:
            _close_sub_block(state)


def _integrated(state: np.ndarray) -> float:
    counts, energy = state[_COUNTS], state[_ENERGY]
    total = counts.sum()
    if total == 0.0:
        return -math.inf
    gate = _lufs(energy.sum() / total) + RELATIVE_GATE
    with np.errstate(divide="ignore", invalid="ignore"):
        bin_loudness = -0.691 + 10.0 * np.log10(energy / counts)
    keep = counts > 0
    keep &= bin_loudness > gate
    return _lufs(float(energy[keep].sum() / counts[keep].sum())) if keep.any() else -math.inf


def meter(samples: np.ndarray, state: np.ndarray) -> float:
    """Feed ``samples`` (48 kHz mono) to the meter ``state`` (updated); the stream's LUFS."""
    zi = state[_ZI].reshape(2, 2)
    weighted, zi = sosfilt(K_WEIGHTING_48K, samples.astype(np.float64), zi=zi)
    state[_ZI] = zi.ravel()
    squares = weighted * weighted
    state[_TOTAL_SUM] += float(squares.sum())
    state[_TOTAL_N] += squares.size
    _accumulate(state, squares)
    if state[_N_SUBS] >= 4:
        value = _integrated(state)
    else:
        value = _lufs(state[_TOTAL_SUM] / state[_TOTAL_N]) if state[_TOTAL_N] else -math.inf
    return max(value, METER_FLOOR_DB)


def warm_up() -> float:
    """Import and run scipy's filter once, so the first request does not pay for it."""
    start = time.perf_counter()
    meter(np.zeros(SUB_BLOCK * 5, np.float32), new_meter_state())
    return time.perf_counter() - start
