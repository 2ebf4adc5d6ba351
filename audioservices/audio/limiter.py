"""A look-ahead peak limiter's gain curve, computed in streaming blocks.

For every sample k the limiter must hold the gain at or below ``required[k]`` (what keeps
that sample under the ceiling). Taking the minimum of ``required`` over the next L samples,
then a causal moving average over L samples, gives a curve that ramps down smoothly *before*
each peak and still never exceeds ``required`` anywhere: every sample the average covers saw
sample k inside its own look-ahead window. A one-pole release between the two lets the gain
recover slowly instead of pumping.
"""

from __future__ import annotations

import numba
import numpy as np

LOOKAHEAD_S = 0.005
RELEASE_S = 0.08


@numba.njit(cache=True, nogil=True)
def _window_minimum(values: np.ndarray, length: int) -> np.ndarray:
    """out[m] = min(values[m : m + length]) (van Herk / Gil-Werman: three branch-free passes)."""
    ready = values.size - length + 1
    prefix = np.empty(values.size)  # minimum from the start of its length-block
    suffix = np.empty(values.size)  # minimum to the end of its length-block
    for block in range(0, values.size, length):
        end = min(block + length, values.size)
        prefix[block] = values[block]
        for i in range(block + 1, end):
            prefix[i] = min(prefix[i - 1], values[i])
        suffix[end - 1] = values[end - 1]
        for i in range(end - 2, block - 1, -1):
            suffix[i] = min(suffix[i + 1], values[i])
    out = np.empty(ready)
    for m in range(ready):
        out[m] = min(suffix[m], prefix[m + length - 1])
    return out


@numba.njit(cache=True, nogil=True)
def _release(floor: np.ndarray, previous: float, recovery: float) -> np.ndarray:
    out = np.empty_like(floor)
    for k in range(floor.size):
        previous = min(floor[k], 1.0 - (1.0 - previous) * recovery)
        out[k] = previous
    return out


@numba.njit(cache=True, nogil=True)
def _moving_average(history: np.ndarray, released: np.ndarray, length: int) -> np.ndarray:
    """Mean of each ``length`` consecutive values of history ++ released, from running sums
    taken in order (the same numbers as ``np.cumsum``)."""
    sums = np.empty(history.size + released.size + 1)
    total = 0.0
    sums[0] = 0.0
    for j in range(history.size):
        total += history[j]
        sums[j + 1] = total
    for j in range(released.size):
        total += released[j]
        sums[history.size + j + 1] = total
    gains = np.empty(sums.size - length)
    for m in range(gains.size):
        gains[m] = (sums[m + length] - sums[m]) / length
    return gains


class LookaheadLimiter:
    """Feed ``required`` gains block by block; get smoothed gains back, L - 1 samples late."""

    def __init__(self, *, sample_rate: int) -> None:
        self.length = max(2, int(LOOKAHEAD_S * sample_rate))
        self.recovery = float(np.exp(-1.0 / (RELEASE_S * sample_rate)))
        # Before the first sample the signal is silent (required gain 1): the stream starts
        # L - 1 samples early so the average's history is real, and those gains are dropped.
        self.pending = np.ones(self.length - 1)  # required gains awaiting a full look-ahead
        self.history = np.ones(self.length - 1)  # last released gains, for the average
        self.skip = self.length - 1
        self.released = 1.0
        self.deepest = 1.0

    @property
    def deepest_cut_db(self) -> float:
        return float(-20 * np.log10(self.deepest))

    def _idle(self) -> bool:
        return self.released == 1.0 and bool((self.pending == 1.0).all()) and bool(
            (self.history == 1.0).all()
        )

    def push(self, required: np.ndarray) -> np.ndarray:
        pending = np.concatenate([self.pending, required])
        ready = pending.size - self.length + 1
        if ready <= 0:
            self.pending = pending
            return np.empty(0)
        if self._idle() and bool((required == 1.0).all()):
            self.pending = pending[ready:]
            return self._drop_lead(np.ones(ready))
        floor = _window_minimum(pending, self.length)
        released = _release(floor, self.released, self.recovery)
        self.released = float(released[-1])
        self.pending = pending[ready:]
        gains = _moving_average(self.history, released, self.length)
        self.history = np.concatenate([self.history, released])[-(self.length - 1) :]
        self.deepest = min(self.deepest, float(gains.min()))
        return self._drop_lead(gains)

    def _drop_lead(self, gains: np.ndarray) -> np.ndarray:
        dropped = min(self.skip, gains.size)
        self.skip -= dropped
        return gains[dropped:]

    def flush(self) -> np.ndarray:
        """Gains for the last L - 1 samples (nothing beyond the end needs limiting)."""
        return self.push(np.ones(self.length - 1))
