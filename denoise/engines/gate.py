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
FRAME_CHUNK = 256  # frames per FFT call: 2 MB of windowed frames


def _overlap_norm() -> np.ndarray:
    norm = np.zeros(HOP, dtype=np.float32)
    for q in range(OVERLAP):
        norm += WINDOW[q * HOP : (q + 1) * HOP] ** 2
    return norm


NORM = _overlap_norm()


@numba.njit(cache=True, nogil=True, inline="always")
def _magnitude(z: complex) -> float:
    # abs() of a complex calls hypot, which does not vectorise; the spectrum cannot overflow.
    return np.sqrt(np.float64(z.real) * z.real + np.float64(z.imag) * z.imag)


@numba.njit(cache=True, nogil=True)
def _sigmoid_argument(spectrum: np.ndarray, b: float) -> np.ndarray:
    """The argument of noisereduce's sigmoid, ``-slope * (r - thresh)``, per (frame, bin).

    ``r = (|S| - smooth) / smooth`` where ``smooth`` is scipy's
    ``filtfilt([b], [1, b - 1], axis=time, padtype=None)`` of ``|S|``; filtfilt starts each
    pass in the filter's steady state for its first value, so each pass's first output equals
    its first input. ``|S|`` is recomputed rather than stored: one array fewer per block.
    """
    frames, bins = spectrum.shape
    out = np.empty((frames, bins), dtype=np.float32)  # the forward pass, then the argument
    state = np.empty(bins, dtype=np.float64)
    keep = 1.0 - b
    for f in range(bins):
        state[f] = _magnitude(spectrum[0, f])
    for t in range(frames):
        for f in range(bins):
            state[f] = b * _magnitude(spectrum[t, f]) + keep * state[f]
            out[t, f] = state[f]
    state[:] = out[frames - 1]
    for t in range(frames - 1, -1, -1):
        for f in range(bins):
            state[f] = b * out[t, f] + keep * state[f]
            smooth = state[f]
            # A bin silent so far is not above its noise (see the module docstring).
            ratio = (_magnitude(spectrum[t, f]) - smooth) / smooth if smooth > 0 else 0.0
            out[t, f] = -SIGMOID_SLOPE * (ratio - THRESH_N_MULT)
    return out


@numba.njit(cache=True, nogil=True, fastmath=True)
def _smooth_mask(mask: np.ndarray, over_time: np.ndarray, over_freq: np.ndarray) -> None:
    """In place: ``fftconvolve(mask, outer(over_freq, over_time), mode="same")``, separably.

    Both kernels are symmetric and of odd length, so convolution is correlation, centred.
    Rows are overwritten as they are done; ``originals`` keeps the last few original rows
    that later rows still read.
    """
    frames, bins = mask.shape
    taps_t, reach_t, reach_f = over_time.size, over_time.size // 2, over_freq.size // 2
    originals = np.empty((taps_t, bins), dtype=np.float32)
    along_time = np.empty(bins, dtype=np.float32)
    row = np.zeros(bins + 2 * reach_f, dtype=np.float32)
    for t in range(frames):
        along_time[:] = 0.0
        for j in range(taps_t):
            source = t + j - reach_t
            if 0 <= source < frames:
                weight = over_time[j]
                rows = mask if source >= t else originals
                index = source if source >= t else source % taps_t
                for f in range(bins):
                    along_time[f] += weight * rows[index, f]
        originals[t % taps_t] = mask[t]
        row[reach_f : reach_f + bins] = along_time
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
    """(frames, bins) complex64 of the zero-extended signal, as scipy.signal.stft frames it.

    Frames are windowed and transformed FRAME_CHUNK at a time: a windowed copy of them all
    would be four times the signal.
    """
    extended = np.zeros(signal.size + 2 * LEAD, dtype=np.float32)
    extended[LEAD : LEAD + signal.size] = signal
    frames = 1 + (extended.size - N_FFT) // HOP
    view = as_strided(extended, shape=(frames, N_FFT), strides=(HOP * 4, 4), writeable=False)
    spectrum = np.empty((frames, N_FFT // 2 + 1), dtype=np.complex64)
    for start in range(0, frames, FRAME_CHUNK):
        chunk = view[start : start + FRAME_CHUNK] * WINDOW
        spectrum[start : start + FRAME_CHUNK] = scipy.fft.rfft(chunk, axis=1, overwrite_x=True)
    return spectrum


def _istft(spectrum: np.ndarray, length: int) -> np.ndarray:
    """Windowed overlap-add, divided by the summed squared window (scipy.signal.istft).

    Every kept sample lies where four frames overlap, so the divisor is the same 512-sample
    pattern throughout, summed in the order scipy sums it.
    """
    frames = spectrum.shape[0]
    out = np.zeros((frames + OVERLAP - 1, HOP), dtype=np.float32)
    for start in range(0, frames, FRAME_CHUNK):
        chunk = scipy.fft.irfft(spectrum[start : start + FRAME_CHUNK], n=N_FFT, axis=1)
        chunk *= WINDOW
        blocks = chunk.reshape(chunk.shape[0], OVERLAP, HOP)
        for q in range(OVERLAP):
            out[start + q : start + q + chunk.shape[0]] += blocks[:, q]
    out = out.reshape(-1)[LEAD : LEAD + length]
    out /= np.resize(NORM, out.size)  # LEAD is a whole number of hops: the pattern starts at 0
    return out


def _gate_mask(spectrum: np.ndarray, *, sample_rate: int) -> np.ndarray:
    """noisereduce's sigmoid mask, float32 (frames, bins)."""
    t_frames = TIME_CONSTANT_S * sample_rate / HOP
    b = (np.sqrt(1 + 4 * t_frames**2) - 1) / (2 * t_frames**2)
    mask = _sigmoid_argument(spectrum, b)
    np.exp(mask, out=mask)  # numpy's float32 exp is vectorised, numba's is not
    mask += 1.0
    return np.reciprocal(mask, out=mask)


def gate(signal: np.ndarray, *, sample_rate: int, prop_decrease: float) -> np.ndarray:
    """Non-stationary spectral gating of one channel (float32 in, float32 out, same length)."""
    spectrum = _stft(np.asarray(signal, dtype=np.float32))
    mask = _gate_mask(spectrum, sample_rate=sample_rate)
    kernels = smoothing_kernels(sample_rate)
    if kernels is not None:
        _smooth_mask(mask, *kernels)
    mask *= np.float32(prop_decrease)
    mask += np.float32(1.0 - prop_decrease)
    spectrum *= mask
    del mask
    return _istft(spectrum, signal.size)
