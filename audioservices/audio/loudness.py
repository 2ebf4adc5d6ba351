"""Loudness (ITU-R BS.1770-4), true peak, and the boost: gain followed by a true-peak limiter.

Everything runs in blocks with carried state so that an hour of stereo costs little more
memory than the audio itself; the boost works in place for the same reason. The K-weighting
filters are pyloudnorm's; the gating is BS.1770's, vectorised (pyloudnorm's own loop copies
the whole signal and walks blocks in Python).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pyloudnorm
from scipy import signal

from audioservices.audio.limiter import LookaheadLimiter
from audioservices.audio.truepeak import peak_envelope

BLOCK = 1 << 19
# Inter-sample peaks of real audio stay within a few dB of the sample peak; blocks whose
# sample peak is further than this below what matters skip the 4x oversampling.
TP_SEARCH_MARGIN_DB = 6.0
BOOST_GAIN_DB = {"2x": 6.0, "3x": 9.5, "4x": 12.0, "5x": 14.0}
CEILING_DBTP = -1.0
# The limiter aims a little under the ceiling: its gain curve is computed at the original
# rate, and a changing gain slightly reshapes the oversampled waveform.
LIMITER_MARGIN_DB = 0.2
Progress = Callable[[float], None]


def db(x: float) -> float:
    return float(20 * np.log10(x)) if x > 0 else float("-inf")


def _k_weighting_sos(sample_rate: int) -> np.ndarray:
    stages = pyloudnorm.Meter(sample_rate)._filters.values()
    return np.vstack([np.concatenate([stage.b, stage.a]) for stage in stages])


def integrated_loudness(audio: np.ndarray, *, sample_rate: int) -> float:
    """Gated integrated loudness in LUFS of (channels, samples); -inf for silence."""
    channels, length = audio.shape
    hop = round(0.1 * sample_rate)
    sos = _k_weighting_sos(sample_rate)
    zi = np.zeros((sos.shape[0], channels, 2))
    weights = np.array([1.0, 1.0, 1.0, 1.41, 1.41, *([1.0] * max(0, channels - 5))])[:channels]
    hop_energy = np.zeros(length // hop)
    step = BLOCK - BLOCK % hop
    for start in range(0, hop_energy.size * hop, step):
        block = audio[:, start : min(start + step, hop_energy.size * hop)].astype(np.float64)
        filtered, zi = signal.sosfilt(sos, block, axis=1, zi=zi)
        squares = (filtered**2).reshape(channels, -1, hop).mean(axis=2)
        hop_energy[start // hop : start // hop + squares.shape[1]] = weights @ squares
    if hop_energy.size < 4:
        return float("-inf")
    # 400 ms gating blocks with 75 % overlap: the mean of four consecutive 100 ms hops.
    blocks = np.convolve(hop_energy, np.full(4, 0.25), mode="valid")
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10 * np.log10(blocks)
    above_absolute = blocks[block_lufs >= -70.0]
    if not above_absolute.size:
        return float("-inf")
    relative_gate = -0.691 + 10 * np.log10(above_absolute.mean()) - 10.0
    gated = blocks[(block_lufs >= -70.0) & (block_lufs >= relative_gate)]
    return float(-0.691 + 10 * np.log10(gated.mean()))


def true_peak(audio: np.ndarray) -> float:
    """Maximum true peak in dBTP (BS.1770-4 annex 2: 4x oversampling; see truepeak.py)."""
    best = 0.0
    for start in range(0, audio.shape[1], BLOCK):
        stop = min(start + BLOCK, audio.shape[1])
        sample_peak = float(np.abs(audio[:, start:stop]).max())
        if db(sample_peak) + TP_SEARCH_MARGIN_DB < db(best):
            continue
        best = max(best, float(peak_envelope(audio, start, stop).max()))
    return db(best)


@dataclass(frozen=True)
class LoudnessReport:
    input_lufs: float | None
    output_lufs: float | None
    input_true_peak_dbtp: float | None
    output_true_peak_dbtp: float | None
    gain_requested_db: float
    gain_applied_db: float | None
    limiter_max_reduction_db: float

    def as_json(self) -> dict[str, float | None]:
        # JSON has no infinities: silence reads as null.
        return {k: (round(v, 2) + 0.0 if v is not None and np.isfinite(v) else None)
                for k, v in asdict(self).items()}


@dataclass
class _LimiterPass:
    deepest_cut_db: float
    input_peak: float  # true peak where the envelope ran, sample peak elsewhere (linear)
    engaged: bool  # False: every block was far below the ceiling, output = input * gain


def _limit_in_place(
    audio: np.ndarray, *, gain: float, ceiling: float, sample_rate: int, progress: Progress
) -> _LimiterPass:
    """Apply ``gain`` then the look-ahead limiter, block by block.

    The true-peak envelope computed for the limiter also gives the input's true peak, so the
    input is not scanned a second time.
    """
    limiter = LookaheadLimiter(sample_rate=sample_rate)
    done, input_peak, engaged = 0, 0.0, False
    length = audio.shape[1]
    for start in range(0, length, BLOCK):
        stop = min(start + BLOCK, length)
        sample_peak = float(np.abs(audio[:, start:stop]).max())
        if db(sample_peak * gain) + TP_SEARCH_MARGIN_DB < db(ceiling):
            required, block_peak = np.ones(stop - start), sample_peak
        else:
            envelope = peak_envelope(audio, start, stop)
            required = np.minimum(1.0, ceiling / (gain * envelope + 1e-12))
            block_peak, engaged = float(envelope.max()), True
        input_peak = max(input_peak, block_peak)
        gains = limiter.push(required)
        audio[:, done : done + gains.size] *= (gain * gains).astype(np.float32)
        done += gains.size
        progress(stop / length)
    tail = limiter.flush()[: length - done]
    audio[:, done:] *= (gain * tail).astype(np.float32)
    return _LimiterPass(limiter.deepest_cut_db, input_peak, engaged)


def boost(
    audio: np.ndarray,
    *,
    sample_rate: int,
    gain_db: float,
    ceiling_dbtp: float = CEILING_DBTP,
    progress: Progress | None = None,
) -> tuple[np.ndarray, LoudnessReport]:
    """Raise ``audio`` by ``gain_db`` without passing ``ceiling_dbtp``. Works IN PLACE.

    The input array is overwritten (an hour of stereo is 1.3 GB; a copy would double it) and
    returned with a report of loudness and true peak before and after.
    """
    report_progress = progress or (lambda _fraction: None)
    input_lufs = integrated_loudness(audio, sample_rate=sample_rate)
    ceiling = 10 ** ((ceiling_dbtp - LIMITER_MARGIN_DB) / 20)
    limited = _limit_in_place(
        audio, gain=10 ** (gain_db / 20), ceiling=ceiling, sample_rate=sample_rate,
        progress=lambda f: report_progress(0.9 * f),
    )
    output_tp = true_peak(audio)
    # An idle limiter left output = input * gain exactly: the input's true peak follows.
    input_tp = db(limited.input_peak) if limited.engaged else output_tp - gain_db
    if output_tp > ceiling_dbtp:  # a last, tiny, whole-file trim: never ship an over
        audio *= np.float32(10 ** ((ceiling_dbtp - output_tp - 0.01) / 20))
        output_tp = true_peak(audio)
    output_lufs = integrated_loudness(audio, sample_rate=sample_rate)
    report_progress(1.0)
    applied = output_lufs - input_lufs if np.isfinite(input_lufs) else None
    return audio, LoudnessReport(
        input_lufs, output_lufs, input_tp, output_tp, gain_db, applied, limited.deepest_cut_db
    )
