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
Silence reads ``METER_FLOOR_DB`` (-120), as the other meters do. The per-sample work is a\nnumba kernel (about 5 µs a frame).
"""

from __future__ import annotations

import functools
import math
import time

import numba
import numpy as np

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

# State layout (float64): filter memories 0-3, sub-block accumulators, the last three
# sub-blocks' mean squares, counters, then the histogram's counts and energy sums.
_SUB_SUM, _SUB_N, _LAST3, _N_SUBS, _TOTAL_SUM, _TOTAL_N = 4, 5, 6, 9, 10, 11
_COUNTS0 = 12
_ENERGY0 = 12 + N_BINS
STATE_SIZE = 12 + 2 * N_BINS


def new_meter_state() -> np.ndarray:
    return np.zeros(STATE_SIZE)


def _lufs(mean_square: float) -> float:
    return -0.691 + 10.0 * math.log10(mean_square) if mean_square > 0.0 else -math.inf


_jit = functools.partial(numba.njit, cache=True, nogil=True)


@_jit
def _add_block(state: np.ndarray, mean_square: float) -> None:
    if mean_square <= 0.0:
        return
    loudness = -0.691 + 10.0 * math.log10(mean_square)
    if loudness <= ABSOLUTE_GATE:
        return
    index = min(int((loudness - ABSOLUTE_GATE) / BIN_LU), N_BINS - 1)
    state[_COUNTS0 + index] += 1.0
    state[_ENERGY0 + index] += mean_square


@_jit
def _close_sub_block(state: np.ndarray) -> None:
    sub_mean = state[_SUB_SUM] / SUB_BLOCK
    if state[_N_SUBS] >= 3.0:  # this sub-block completes a 400 ms block with the 3 before it
        _add_block(state, (state[_LAST3] + state[_LAST3 + 1] + state[_LAST3 + 2] + sub_mean) / 4)
    state[_LAST3], state[_LAST3 + 1], state[_LAST3 + 2] = (
        state[_LAST3 + 1], state[_LAST3 + 2], sub_mean)
    state[_N_SUBS] += 1.0
    state[_SUB_SUM] = 0.0
    state[_SUB_N] = 0.0


@_jit
def _weigh_and_accumulate(x: np.ndarray, state: np.ndarray, k: np.ndarray) -> None:
    """K-weighting (two biquads, transposed direct form II) and block accumulation."""
    a0, a1, a2, a4, a5 = k[0, 0], k[0, 1], k[0, 2], k[0, 4], k[0, 5]
    b0, b1, b2, b4, b5 = k[1, 0], k[1, 1], k[1, 2], k[1, 4], k[1, 5]
    z0, z1, z2, z3 = state[0], state[1], state[2], state[3]
    sub_sum, sub_n, total = state[_SUB_SUM], state[_SUB_N], 0.0
    for i in range(x.shape[0]):
        v = float(x[i])
        y = a0 * v + z0
        z0 = a1 * v - a4 * y + z1
        z1 = a2 * v - a5 * y
        w = b0 * y + z2
        z2 = b1 * y - b4 * w + z3
        z3 = b2 * y - b5 * w
        sub_sum += w * w
        total += w * w
        sub_n += 1.0
        if sub_n == SUB_BLOCK:
            state[_SUB_SUM] = sub_sum
            _close_sub_block(state)
            sub_sum, sub_n = 0.0, 0.0
    state[0], state[1], state[2], state[3] = z0, z1, z2, z3
    state[_SUB_SUM], state[_SUB_N] = sub_sum, sub_n
    state[_TOTAL_SUM] += total
    state[_TOTAL_N] += x.shape[0]


@_jit
def _integrated(state: np.ndarray) -> float:
    """Gated mean square of the blocks (0.0 when no block passes the gates)."""
    count, energy = 0.0, 0.0
    for b in range(N_BINS):
        count += state[_COUNTS0 + b]
        energy += state[_ENERGY0 + b]
    if count == 0.0:
        return 0.0
    gate = -0.691 + 10.0 * math.log10(energy / count) + RELATIVE_GATE
    kept_count, kept_energy = 0.0, 0.0
    for b in range(N_BINS):
        n, e = state[_COUNTS0 + b], state[_ENERGY0 + b]
        if n > 0.0 and -0.691 + 10.0 * math.log10(e / n) > gate:
            kept_count += n
            kept_energy += e
    return kept_energy / kept_count if kept_count > 0.0 else 0.0


def meter(samples: np.ndarray, state: np.ndarray) -> float:
    """Feed ``samples`` (48 kHz mono) to the meter ``state`` (updated); the stream's LUFS."""
    _weigh_and_accumulate(samples, state, K_WEIGHTING_48K)
    if state[_N_SUBS] >= 4:
        mean_square = _integrated(state)
    else:
        mean_square = state[_TOTAL_SUM] / state[_TOTAL_N] if state[_TOTAL_N] else 0.0
    return max(_lufs(mean_square), METER_FLOOR_DB)


def warm_up() -> float:
    """Compile or load the meter's kernels (call at process start); seconds taken."""
    start = time.perf_counter()
    meter(np.zeros(SUB_BLOCK * 5, np.float32), new_meter_state())
    return time.perf_counter() - start
