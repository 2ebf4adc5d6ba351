"""noisereduce 3.0.3's non-stationary spectral gate, computed fast and in float32.

The same algorithm and parameters as ``noisereduce.reduce_noise(stationary=False)``
(``spectralgate/nonstationary.py``): a Hann STFT, each bin's magnitude smoothed over time by
a forward-backward one-pole filter (``time_constant_s``), a sigmoid of how far the magnitude
rises above that smooth estimate, the mask smoothed over frequency and time, blended with 1 by
``prop_decrease``, and the inverse STFT. noisereduce spends most of its time in float64
copies, scipy's per-frame Python loop in ``istft`` and a 2-D FFT convolution; here the frames
are a strided view, the overlap-add is four array additions, the smoothing filter (an outer
product of two triangles) is applied as two short 1-D passes, and the recursive and smoothing
loops are numba kernels that release the GIL, so channels run in parallel threads. The
output matches noisereduce's within float32 rounding (tests/denoise/test_gate.py).

One deliberate difference: a bin that is silent from the start has a smooth estimate of 0,
where noisereduce divides 0 by 0 and its FFT convolution spreads the NaN over the whole
output; here such a bin counts as "not above the noise" (it is zero anyway).
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import as_strided
from scipy.signal import get_window

N_FFT = 2048
HOP = N_FFT // 4
OVERLAP = N_FFT // HOP
# noisereduce.reduce_noise's defaults for the non-stationary gate.
TIME_CONSTANT_S = 2.0
FREQ_MASK_SMOOTH_HZ = 500.0
TIME_MASK_SMOOTH_MS = 50.0
THRESH_N_MULT = 2.0
SIGMOID_SLOPE = 10.0
# Zeros noisereduce puts around the signal: its own ``padding`` (spectral.py passes N_FFT),
# then scipy.signal.stft's ``boundary="zeros"`` half frame.
LEAD = N_FFT + N_FFT // 2
WINDOW = get_window("hann", N_FFT).astype(np.float32)


@numba.njit(cache=True, nogil=True)
def _smooth_over_time(magnitude: np.ndarray, b: float) -> np.ndarray:
    """scipy ``filtfilt([b], [1, b - 1], axis=time, padtype=None)`` of (frames, bins).

    filtfilt starts each pass in the filter's steady state for the first value it sees, so
    the first output of each pass equals its first input.
    """
    frames, bins = magnitude.shape
    out = np.empty((frames, bins), dtype=np.float32)
    state = np.empty(bins, dtype=np.float64)
    keep = 1.0 - b
    state[:] = magnitude[0]
    for t in range(frames):
        for f in range(bins):
            state[f] = b * magnitude[t, f] + keep * state[f]
            out[t, f] = state[f]
    state[:] = out[frames - 1]
    for t in range(frames - 1, -1, -1):
        for f in range(bins):
            state[f] = b * out[t, f] + keep * state[f]
            out[t, f] = state[f]
    return out


@numba.njit(cache=True, nogil=True, fastmath=True)
def _smooth_mask(mask: np.ndarray, over_time: np.ndarray, over_freq: np.ndarray) -> None:
    """In place: ``fftconvolve(mask, outer(over_freq, over_time), mode="same")``, separably.

    Both kernels are symmetric and of odd length, so convolution is correlation, centred.
    """
    frames, bins = mask.shape
    reach_t, reach_f = over_time.size // 2, over_freq.size // 2
    along_time = np.zeros((frames, bins), dtype=np.float32)
    for t in range(frames):
        for j in range(over_time.size):
            source = t + j - reach_t
            if 0 <= source < frames:
                weight = over_time[j]
                for f in range(bins):
                    along_time[t, f] += weight * mask[source, f]
    row = np.zeros(bins + 2 * reach_f, dtype=np.float32)
    for t in range(frames):
        row[reach_f : reach_f + bins] = along_time[t]
        mask[t, :] = 0.0
        for i in range(over_freq.size):
            weight = over_freq[i]
            for f in range(bins):
                mask[t, f] += weight * row[f + i]


def _triangle(n_grad: int) -> np.ndarray:
    """One axis of noisereduce's ``_smoothing_filter``, normalised to sum 1."""
    ramp = np.concatenate([np.linspace(0, 1, n_grad + 1, endpoint=False),
                           np.linspace(1, 0, n_grad + 2)])[1:-1]
    return (ramp / ramp.sum()).astype(np.float32)


def smoothing_kernels(sample_rate: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(over time, over frequency), or None when noisereduce would not smooth the mask.

    noisereduce refuses rates under 10,240 Hz (its 50 ms time smoothing is less than one
    hop there); we use its smallest time smoothing there (3 frames, weights 1-2-1).
    """
    n_grad_freq = int(FREQ_MASK_SMOOTH_HZ / (sample_rate / (N_FFT / 2)))
    n_grad_time = int(TIME_MASK_SMOOTH_MS / (HOP / sample_rate * 1000))
    n_grad_freq, n_grad_time = max(1, n_grad_freq), max(1, n_grad_time)
    if n_grad_freq == 1 and n_grad_time == 1:
        return None
    return _triangle(n_grad_time), _triangle(n_grad_freq)


def _stft(signal: np.ndarray) -> np.ndarray:
    """(frames, bins) complex64 of the zero-extended signal, as scipy.signal.stft frames it."""
    extended = np.zeros(signal.size + 2 * LEAD, dtype=np.float32)
    extended[LEAD : LEAD + signal.size] = signal
    frames = 1 + (extended.size - N_FFT) // HOP
    view = as_strided(extended, shape=(frames, N_FFT), strides=(HOP * 4, 4), writeable=False)
    return scipy.fft.rfft(view * WINDOW, axis=1)


def _istft(spectrum: np.ndarray, length: int) -> np.ndarray:
    """Windowed overlap-add, divided by the summed squared window (scipy.signal.istft)."""
    frames = scipy.fft.irfft(spectrum, n=N_FFT, axis=1)
    frames *= WINDOW
    blocks = frames.reshape(frames.shape[0], OVERLAP, HOP)
    out = np.zeros((frames.shape[0] + OVERLAP - 1, HOP), dtype=np.float32)
    norm = np.zeros_like(out)
    for q in range(OVERLAP):
        out[q : q + frames.shape[0]] += blocks[:, q]
        norm[q : q + frames.shape[0]] += (WINDOW[q * HOP : (q + 1) * HOP] ** 2)
    wanted = slice(LEAD, LEAD + length)
    return out.reshape(-1)[wanted] / norm.reshape(-1)[wanted]


def _gate_mask(magnitude: np.ndarray, *, sample_rate: int) -> np.ndarray:
    """The sigmoid mask, computed in place over ``magnitude``."""
    t_frames = TIME_CONSTANT_S * sample_rate / HOP
    b = (np.sqrt(1 + 4 * t_frames**2) - 1) / (2 * t_frames**2)
    smooth = _smooth_over_time(magnitude, b)
    # (|S| - smooth) / smooth, then noisereduce's sigmoid(x, -thresh, slope).
    ratio = np.subtract(magnitude, smooth, out=magnitude)
    np.divide(ratio, smooth, out=ratio, where=smooth > 0)
    ratio[smooth <= 0] = 0.0  # a bin silent so far is not above its noise (see docstring)
    ratio -= THRESH_N_MULT
    ratio *= -SIGMOID_SLOPE
    np.exp(ratio, out=ratio)
    ratio += 1.0
    return np.reciprocal(ratio, out=ratio)


def gate(signal: np.ndarray, *, sample_rate: int, prop_decrease: float) -> np.ndarray:
    """Non-stationary spectral gating of one channel (float32 in, float32 out, same length)."""
    spectrum = _stft(np.asarray(signal, dtype=np.float32))
    mask = _gate_mask(np.abs(spectrum), sample_rate=sample_rate)
    kernels = smoothing_kernels(sample_rate)
    if kernels is not None:
        _smooth_mask(mask, *kernels)
    mask *= np.float32(prop_decrease)
    mask += np.float32(1.0 - prop_decrease)
    spectrum *= mask
    del mask
    return _istft(spectrum, signal.size)
