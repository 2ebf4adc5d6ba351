"""MFCC and spectral features of a mono buffer (the spec's ``POST /extract-features``).

No Django here: :func:`extract_features` takes samples and :class:`FeatureParams` and returns
a :class:`FeatureResult`; the request parsing lives in :mod:`mixer.feature_requests`.

Choices (the README's "Genre" section repeats them for API users):

* Frames are not centred (``center=False`` in librosa's terms): frame ``t`` covers samples
  ``[t*hop, t*hop + fftSize)``, so a buffer needs at least ``fftSize`` samples and gives
  ``1 + (n - fftSize) // hop`` frames. No padding means a frame depends only on its own
  samples: a stream cut at a multiple of ``hop`` (and carrying the last ``fftSize - hop``
  samples over) yields exactly the frames of the whole.
* Fixed dB reference: log-mel power is ``10 log10(max(power, 1e-10))`` against a reference of
  1.0 and no ``top_db`` clipping, so nothing depends on the loudest frame of the buffer.
* Mel bank: librosa's Slaney filters from 0 Hz to ``maxFrequency`` (default 11,025 Hz, or
  half the sample rate if lower). The genre model is trained on 22.05 kHz recordings; a bank
  that stops at 11,025 Hz makes a 48 kHz stream's features comparable with those.
* MFCC = orthonormal DCT-II of the log-mel frames (librosa's default), first
  ``numCoefficients`` kept.
* The scalar figures are means over frames: spectral centroid (Hz) and 85 % roll-off (Hz) of
  the magnitude spectrum, zero-crossing rate (crossings per sample, librosa's definition),
  spectral flux = mean over consecutive frames of the L2 distance between their magnitude
  spectra, each scaled to unit L2 norm (0 = steady spectrum, at most 2; one frame gives 0).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import librosa
import numpy as np
import numpy.typing as npt
import scipy.fft
import scipy.signal

AMIN = 1e-10  # power floor: -100 dB
REF_POWER = 1.0  # fixed dB reference (librosa.power_to_db's default ref)
ROLL_PERCENT = 0.85
ZERO_THRESHOLD = 1e-10  # |x| at or under this counts as zero (librosa.zero_crossings)
DEFAULT_MAX_FREQUENCY = 11025.0
BLOCK_FRAMES = 512  # frames per FFT block: bounds memory for long buffers
WINDOWS = ("hann", "hamming", "blackman")

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FeatureParams:
    """What shapes the features; the defaults are the spec's (48 kHz, 13/40/2048/512/hann)."""

    sample_rate: int = 48000
    num_coefficients: int = 13
    num_filters: int = 40
    fft_size: int = 2048
    hop_size: int = 512
    window_type: str = "hann"
    max_frequency: float = DEFAULT_MAX_FREQUENCY

    @property
    def fmax(self) -> float:
        return min(self.max_frequency, self.sample_rate / 2)

    def frame_count(self, samples: int) -> int:
        return 0 if samples < self.fft_size else 1 + (samples - self.fft_size) // self.hop_size


@dataclass(frozen=True)
class FeatureResult:
    """Per-frame features; :meth:`as_json` gives the spec's response body."""

    mfcc: npt.NDArray[np.float32]  # (frames, coefficients)
    centroid: FloatArray  # (frames,) Hz
    rolloff: FloatArray  # (frames,) Hz
    zero_crossing_rate: FloatArray  # (frames,)
    flux: FloatArray  # (frames - 1,)
    duration: float  # seconds of audio given

    @property
    def frame_count(self) -> int:
        return int(self.mfcc.shape[0])

    def as_json(self) -> dict[str, object]:
        return {
            "features": self.mfcc.tolist(),
            "spectralCentroid": float(self.centroid.mean()),
            "zeroCrossingRate": float(self.zero_crossing_rate.mean()),
            "spectralRolloff": float(self.rolloff.mean()),
            "spectralFlux": float(self.flux.mean()) if self.flux.size else 0.0,
            "frameCount": self.frame_count,
            "duration": self.duration,
        }


@functools.lru_cache(maxsize=16)
def _mel_bank(sample_rate: int, fft_size: int, num_filters: int, fmax: float) -> FloatArray:
    """(bins up to the last one any filter uses, filters): the bins above fmax are skipped."""
    bank = librosa.filters.mel(
        sr=sample_rate, n_fft=fft_size, n_mels=num_filters, fmin=0.0, fmax=fmax, dtype=np.float64
    )
    used = int(np.flatnonzero(bank.any(axis=0)).max(initial=0)) + 1
    return np.ascontiguousarray(bank[:, :used].T)


@functools.lru_cache(maxsize=16)
def _window(window_type: str, fft_size: int) -> FloatArray:
    return scipy.signal.get_window(window_type, fft_size, fftbins=True).astype(np.float64)


def _zero_crossing_rate(signal: FloatArray, params: FeatureParams, count: int) -> FloatArray:
    """Per frame: sign changes between its neighbouring samples / fftSize (librosa's rate).

    Counted once over the whole signal and differenced per frame (a cumulative sum), not
    frame by frame: frames overlap fftSize / hop times.
    """
    signs = np.signbit(np.where(np.abs(signal) <= ZERO_THRESHOLD, 0.0, signal))
    changes = np.concatenate([[0], np.cumsum(signs[1:] != signs[:-1])])
    starts = np.arange(count) * params.hop_size
    return (changes[starts + params.fft_size - 1] - changes[starts]) / params.fft_size


def _spectral_shape(magnitude: FloatArray, freqs: FloatArray) -> tuple[FloatArray, FloatArray]:
    total = magnitude.sum(axis=1)
    centroid = np.divide(magnitude @ freqs, total, out=np.zeros_like(total), where=total > 0)
    cumulative = np.cumsum(magnitude, axis=1)
    first_over = np.argmax(cumulative >= ROLL_PERCENT * total[:, None], axis=1)
    return centroid, freqs[first_over]


def _unit_spectra(magnitude: FloatArray) -> FloatArray:
    norm = np.linalg.norm(magnitude, axis=1, keepdims=True)
    return np.divide(magnitude, norm, out=np.zeros_like(magnitude), where=norm > 0)


def _block(frames: FloatArray, params: FeatureParams) -> tuple[FloatArray, ...]:
    magnitude = np.abs(np.fft.rfft(frames * _window(params.window_type, params.fft_size), axis=1))
    mel_bank = _mel_bank(params.sample_rate, params.fft_size, params.num_filters, params.fmax)
    mel_power = (magnitude[:, : mel_bank.shape[0]] ** 2) @ mel_bank
    log_mel = 10.0 * np.log10(np.maximum(AMIN, mel_power) / REF_POWER)
    mfcc = scipy.fft.dct(log_mel, type=2, norm="ortho", axis=1)[:, : params.num_coefficients]
    freqs = np.fft.rfftfreq(params.fft_size, 1.0 / params.sample_rate)
    centroid, rolloff = _spectral_shape(magnitude, freqs)
    return mfcc, centroid, rolloff, _unit_spectra(magnitude)


def extract_features(
    samples: npt.ArrayLike,
    *,
    params: FeatureParams,
    progress: Callable[[float], None] | None = None,
) -> FeatureResult:
    """Features of a mono buffer of at least ``params.fft_size`` finite samples."""
    signal = np.asarray(samples, dtype=np.float64).ravel()
    count = params.frame_count(signal.size)
    if count == 0:
        raise ValueError(f"need at least fft_size={params.fft_size} samples, got {signal.size}")
    all_frames = np.lib.stride_tricks.sliding_window_view(signal, params.fft_size)
    all_frames = all_frames[:: params.hop_size][:count]
    parts: list[tuple[FloatArray, ...]] = []
    previous_unit: FloatArray | None = None
    for start in range(0, count, BLOCK_FRAMES):
        mfcc, centroid, rolloff, unit = _block(all_frames[start : start + BLOCK_FRAMES], params)
        chained = unit if previous_unit is None else np.vstack([previous_unit, unit])
        flux = np.linalg.norm(np.diff(chained, axis=0), axis=1)
        parts.append((mfcc, centroid, rolloff, flux))
        previous_unit = unit[-1:]
        if progress is not None:
            progress(min(1.0, (start + BLOCK_FRAMES) / count))
    columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
    return FeatureResult(
        mfcc=columns[0].astype(np.float32),
        centroid=columns[1],
        rolloff=columns[2],
        zero_crossing_rate=_zero_crossing_rate(signal, params, count),
        flux=columns[3],
        duration=signal.size / params.sample_rate,
    )
