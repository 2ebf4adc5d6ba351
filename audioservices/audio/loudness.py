"""Loudness (ITU-R BS.1770-4), true peak, and the boost: gain followed by a true-peak limiter.

Everything runs in blocks with carried state so that an hour of stereo costs little more
memory than the audio itself; the boost works in place for the same reason. The K-weighting
filters are pyloudnorm's; the gating is BS.1770's, vectorised (pyloudnorm's own loop copies
the whole signal and walks blocks in Python).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numba
import numpy as np
import pyloudnorm

from audioservices.audio.limiter import LookaheadLimiter
from audioservices.audio.truepeak import max_true_peak, peak_envelope

BLOCK = 1 << 19
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
    sos = np.vstack([np.concatenate([stage.b, stage.a]) for stage in stages])
    return sos / sos[:, 3:4]  # a0 = 1, as scipy's sosfilt assumes


@numba.njit(cache=True, nogil=True)
def _hop_energies(audio: np.ndarray, sos: np.ndarray, weights: np.ndarray, hop: int,
                  hops: int) -> np.ndarray:
    """Channel-weighted mean square of the K-weighted signal per hop: one pass, no copies.

    The filter is scipy's ``sosfilt`` (transposed direct form II, float64), step for step;
    channels advance together so their independent recursions overlap in the CPU.
    """
    channels, sections = audio.shape[0], sos.shape[0]
    state = np.zeros((channels, sections, 2))
    sums = np.zeros(channels)
    energy = np.zeros(hops)
    for h in range(hops):
        sums[:] = 0.0
        for k in range(h * hop, (h + 1) * hop):
            for c in range(channels):
                x = np.float64(audio[c, k])
                for s in range(sections):
                    y = sos[s, 0] * x + state[c, s, 0]
                    state[c, s, 0] = sos[s, 1] * x - sos[s, 4] * y + state[c, s, 1]
                    state[c, s, 1] = sos[s, 2] * x - sos[s, 5] * y
                    x = y
                sums[c] += x * x
        for c in range(channels):
            energy[h] += weights[c] * (sums[c] / hop)
    return energy


def integrated_loudness(audio: np.ndarray, *, sample_rate: int) -> float:
    """Gated integrated loudness in LUFS of (channels, samples); -inf for silence."""
    channels, length = audio.shape
    hop = round(0.1 * sample_rate)
    weights = np.array([1.0, 1.0, 1.0, 1.41, 1.41, *([1.0] * max(0, channels - 5))])[:channels]
    hop_energy = _hop_energies(audio, _k_weighting_sos(sample_rate), weights, hop,
                               length // hop)
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
    return db(max_true_peak(audio, 0, audio.shape[1]))


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
    input_peak: float  # the input's true peak if ``exact``, else some value below ``floor``
    exact: bool  # False: the input never came near the ceiling, output = input * gain


def _limit_in_place(
    audio: np.ndarray, *, gain: float, ceiling: float, sample_rate: int, progress: Progress
) -> _LimiterPass:
    """Apply ``gain`` then the look-ahead limiter, block by block.

    The true-peak envelope computed for the limiter also gives the input's true peak, so the
    input is not scanned a second time. It is only exact where the gain could have to drop
    (see truepeak.py); elsewhere the required gain is 1 either way.
    """
    limiter = LookaheadLimiter(sample_rate=sample_rate)
    # The envelope at which ceiling / (gain * envelope + 1e-12) starts to fall below 1.
    floor = (ceiling - 1e-9) / gain
    done, input_peak = 0, 0.0
    length = audio.shape[1]
    for start in range(0, length, BLOCK):
        stop = min(start + BLOCK, length)
        envelope = peak_envelope(audio, start, stop, floor=floor)
        block_peak = float(envelope.max())
        if block_peak < floor:
            required = np.ones(stop - start)
        else:
            required = np.minimum(1.0, ceiling / (gain * envelope + 1e-12))
        input_peak = max(input_peak, block_peak)
        gains = limiter.push(required)
        audio[:, done : done + gains.size] *= (gain * gains).astype(np.float32)
        done += gains.size
        progress(stop / length)
    tail = limiter.flush()[: length - done]
    audio[:, done:] *= (gain * tail).astype(np.float32)
    return _LimiterPass(limiter.deepest_cut_db, input_peak, input_peak >= floor)


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
    input_tp = db(limited.input_peak) if limited.exact else output_tp - gain_db
    if output_tp > ceiling_dbtp:  # a last, tiny, whole-file trim: never ship an over
        audio *= np.float32(10 ** ((ceiling_dbtp - output_tp - 0.01) / 20))
        output_tp = true_peak(audio)
    output_lufs = integrated_loudness(audio, sample_rate=sample_rate)
    report_progress(1.0)
    applied = output_lufs - input_lufs if np.isfinite(input_lufs) else None
    return audio, LoudnessReport(
        input_lufs, output_lufs, input_tp, output_tp, gain_db, applied, limited.deepest_cut_db
    )


@dataclass(frozen=True)
class OptionalBoost:
    """A job's optional boost after its engine (denoise, speaker): ``level`` is "none" or
    2x-5x. When a boost follows, the engine reports the first ``engine_share`` of the job's
    ``progress`` and the boost the rest; without one the engine reports all of it."""

    level: str
    progress: Progress
    engine_share: float

    def engine_progress(self, fraction: float) -> None:
        self.progress(fraction * (self.engine_share if self.level in BOOST_GAIN_DB else 1.0))

    def apply(self, audio: np.ndarray, *, sample_rate: int) -> tuple[np.ndarray, dict]:
        """``audio`` boosted (in place) and the report's JSON, or both untouched and ``{}``."""
        gain_db = BOOST_GAIN_DB.get(self.level)
        if gain_db is None:
            return audio, {}
        share = self.engine_share
        boosted, report = boost(audio, sample_rate=sample_rate, gain_db=gain_db,
                                progress=lambda f: self.progress(share + (1 - share) * f))
        return boosted, report.as_json()
