"""A slow, plain reference of ``mixer.dsp``'s chain, written independently for the tests.

Each stage runs over the whole signal in turn (the stages only feed forward). Nothing here is
clever: the compressor computes its curve in dB with log/exp at every sample, the EQ uses
``scipy.signal.sosfilt``, the limiter sums its whole window at every sample. It is meant to
run on a whole signal from a fresh state; ``mixer.dsp`` must match it to about 1e-5.
Time constants use the same documented formula as ``mixer.dsp``, written the same way, so the
gate's and detectors' threshold decisions agree to the bit.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import sosfilt

from mixer.dsp import (
    GATE_DETECTOR_MS,
    LOOKAHEAD_MS,
    ChainSettings,
    CompressorSettings,
    GateSettings,
    LimiterSettings,
)


def _one_pole(ms: float, fs: int) -> float:
    return math.exp(-1.0 / (ms * 1e-3 * fs))


def _db_to_gain(db: float) -> float:
    return 10.0 ** (db / 20.0)


def gate(x: np.ndarray, g: GateSettings, fs: int) -> np.ndarray:
    threshold, floor = _db_to_gain(g.threshold), _db_to_gain(g.floor)
    decay, hold_samples = _one_pole(GATE_DETECTOR_MS, fs), round(g.hold * 1e-3 * fs)
    open_coef, close_coef = _one_pole(g.attack, fs), _one_pole(g.release, fs)
    env, gain, hold = 0.0, 0.0, 0  # a fresh gate is closed
    out = np.empty_like(x)
    for n, v in enumerate(x):
        env = abs(v) if abs(v) > env else env * decay
        if env >= threshold:
            hold, target = hold_samples, 1.0
        elif hold > 0:
            hold, target = hold - 1, 1.0
        else:
            target = floor
        coef = open_coef if target > gain else close_coef
        gain = target + coef * (gain - target)
        out[n] = v * gain
    return out


def static_curve_db(level_db: float, c: CompressorSettings) -> float:
    """Gain change (dB, <= 0) of a soft-knee compressor for a detector level in dB."""
    over, knee = level_db - c.threshold, c.knee
    if 2.0 * over < -knee:
        return 0.0
    if knee > 0.0 and 2.0 * abs(over) <= knee:
        return (1.0 / c.ratio - 1.0) * (over + knee / 2.0) ** 2 / (2.0 * knee)
    return (1.0 / c.ratio - 1.0) * over


def compressor(x: np.ndarray, c: CompressorSettings, fs: int) -> np.ndarray:
    decay, attack = _one_pole(c.release, fs), _one_pole(c.attack, fs)
    makeup = _db_to_gain(c.makeup_gain)
    env, gain = 0.0, 1.0
    out = np.empty_like(x)
    for n, v in enumerate(x):
        env = abs(v) if abs(v) > env else env * decay  # instant rise, release decay
        level = 20.0 * math.log10(env) if env > 0.0 else -math.inf
        target = _db_to_gain(static_curve_db(level, c))
        gain = target + attack * (gain - target) if target < gain else target
        out[n] = v * gain * makeup
    return out


def rbj_sos(settings: ChainSettings, fs: int) -> np.ndarray:
    """Low shelf 120 Hz, bell 1 kHz (Q 0.9), high shelf 8 kHz; RBJ cookbook, shelves S = 1."""
    rows = []
    for kind, f0, db in (("low", 120.0, settings.eq.low), ("peak", 1000.0, settings.eq.mid),
                         ("high", 8000.0, settings.eq.high)):  # fmt: skip
        a_ = 10.0 ** (db / 40.0)
        w0 = 2.0 * math.pi * f0 / fs
        cw = math.cos(w0)
        if kind == "peak":
            alpha = math.sin(w0) / (2.0 * 0.9)
            b = [1 + alpha * a_, -2 * cw, 1 - alpha * a_]
            a = [1 + alpha / a_, -2 * cw, 1 - alpha / a_]
        else:
            k = 2.0 * math.sqrt(a_) * math.sin(w0) / 2.0 * math.sqrt(2.0)  # 2·sqrt(A)·alpha
            if kind == "low":
                b = [a_ * ((a_ + 1) - (a_ - 1) * cw + k), 2 * a_ * ((a_ - 1) - (a_ + 1) * cw),
                     a_ * ((a_ + 1) - (a_ - 1) * cw - k)]  # fmt: skip
                a = [(a_ + 1) + (a_ - 1) * cw + k, -2 * ((a_ - 1) + (a_ + 1) * cw),
                     (a_ + 1) + (a_ - 1) * cw - k]  # fmt: skip
            else:
                b = [a_ * ((a_ + 1) + (a_ - 1) * cw + k), -2 * a_ * ((a_ - 1) + (a_ + 1) * cw),
                     a_ * ((a_ + 1) + (a_ - 1) * cw - k)]  # fmt: skip
                a = [(a_ + 1) - (a_ - 1) * cw + k, 2 * ((a_ - 1) - (a_ + 1) * cw),
                     (a_ + 1) - (a_ - 1) * cw - k]  # fmt: skip
        rows.append([v / a[0] for v in b] + [1.0] + [v / a[0] for v in a[1:]])
    return np.array(rows)


def limiter(x: np.ndarray, lim: LimiterSettings, fs: int) -> np.ndarray:
    """Delay by the look-ahead; when enabled, apply a gain that is never above what any
    sample in its window needs (held over blocks, released, averaged)."""
    lookahead = round(LOOKAHEAD_MS * fs / 1000)
    size = lookahead + 1
    delayed = np.concatenate([np.zeros(lookahead), x])[: x.size]
    if not lim.enabled:
        return delayed
    ceiling = _db_to_gain(lim.ceiling)
    need = np.minimum(1.0, ceiling / np.maximum(np.abs(x), 1e-300))
    decay = _one_pole(lim.release, fs)
    deficit = np.zeros(x.size)
    previous = 0.0
    for n in range(x.size):
        start = n // size * size  # blocks of `size` samples counted from the stream start
        held = need[max(0, start - size) : n + 1].min()  # this block so far + the last one
        decayed = previous * decay
        previous = max(1.0 - held, decayed if decayed > 1e-9 else 0.0)
        deficit[n] = previous
    padded = np.concatenate([np.zeros(lookahead), deficit])
    gain = 1.0 - np.array([padded[n : n + size].sum() for n in range(x.size)]) / size
    clamp = float(np.float32(ceiling))
    if clamp > ceiling:
        clamp = float(np.nextafter(np.float32(clamp), np.float32(0)))
    return np.clip(delayed * gain, -clamp, clamp)


def reference_chain(x: np.ndarray, settings: ChainSettings, fs: int = 48000) -> np.ndarray:
    """The whole chain over ``x`` from a fresh state; float64 out (before float32 rounding)."""
    if settings.bypass:
        return np.asarray(x, dtype=np.float64).copy()
    v = np.asarray(x, dtype=np.float32).astype(np.float64) * _db_to_gain(settings.gain)
    if settings.noise_gate.enabled:
        v = gate(v, settings.noise_gate, fs)
    if settings.compressor.enabled:
        v = compressor(v, settings.compressor, fs)
    if settings.eq.enabled:
        v = sosfilt(rbj_sos(settings, fs), v)
    return limiter(v, settings.limiter, fs)
