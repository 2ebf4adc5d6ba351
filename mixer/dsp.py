"""Real-time mono mixing chain: input gain → noise gate → compressor → 3-band EQ → limiter.

One float32 frame (normally 960 samples, 20 ms at 48 kHz) goes through one numba kernel
that carries its state in a :class:`ChainState`, so consecutive frames give exactly the
output of their concatenation. No Django here: the REST layer validates the frame length,
builds :class:`ChainSettings` with :meth:`ChainSettings.from_dict` and calls :func:`process`.

Design choices (the numbers are module constants or ``ChainSettings`` defaults):

* Time constants are one-pole: ``a = exp(-1 / (t_ms * fs / 1000))`` (63 % in ``t_ms``).
* Gate: peak detector (instant rise, ``GATE_DETECTOR_MS`` decay) against the threshold; it
  stays open for ``hold`` ms after the level drops, and its gain glides between 1 and
  ``floor`` dB with ``attack`` (opening) and ``release`` (closing) so it never clicks. A new
  state starts with the gate closed (gain 0), so a stream never opens with a burst of noise.
* Compressor: feed-forward. Peak detector with instant rise and ``release`` decay; soft-knee
  gain computer; the gain follows a drop with ``attack`` smoothing. Fixed make-up gain
  (``makeupGain`` dB, default 0: no automatic make-up, so presets stay predictable).
  The detector decays by a constant factor, so its log level falls by a constant step and the
  gain can be advanced by a multiplication (two in the knee). log/exp run only on a new peak
  or when the level crosses a knee edge; the result matches the per-sample log/exp form to
  about 1e-12.
* EQ: RBJ cookbook low shelf 120 Hz (S = 1), peaking bell 1 kHz (Q = 0.9), high shelf 8 kHz
  (S = 1), transposed direct form II; a band at 0 dB is skipped.
* Limiter: look-ahead ``LOOKAHEAD_MS`` (72 samples at 48 kHz). The needed gain is held for
  at least the look-ahead (minimum over the current and previous block of look-ahead + 1
  samples: a superset of the sliding window, O(1) per sample), released with ``release``, and
  averaged over look-ahead + 1 samples, so the gain ramps down before a peak and is at or
  under what that peak needs. A final clamp to the largest float32 at or under the ceiling
  makes the sample-peak guarantee hold after rounding too.
* Latency: the look-ahead delay line runs whatever ``limiter.enabled`` says, so latency is a
  constant ``LATENCY_SAMPLES`` and toggling the limiter does not jump in time.
* ``bypass``: the input comes back unchanged (same float32 values, zero latency) and the state
  is left untouched, not advanced and not reset.
* Tiny state values (under 1e-30) are flushed to zero once per look-ahead block, at positions
  counted from the start of the stream, so silence never lingers in slow denormal arithmetic
  and frame splits still do not matter.
* Meters: peak and RMS of the float32 output; compressor and limiter reduction from the
  lowest gain in the frame.

How it runs (issue 11: per-frame cost; measured figures in the README's "Mixer performance"):
one loop over the frame for the stages with per-sample state (gain, gate, compressor, EQ) into
a float64 work array, then the delay and limiter, then the meters. The limiter's loop runs only
when it has work (a sample over the ceiling, or a gain still held or released); otherwise the
frame is only delayed, which is exactly what that loop would give. Meters and the finite check
are counted over whole arrays (vectorised). A multiply and an add may fuse (numba's 'contract'
fast-math flag, nothing else): outputs move by rounding only, about 1e-9 on the benchmark. The
output is the same whatever the frame split: every operation depends only on the sample
stream and the state, never on where a frame starts.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple, cast

import numba
import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 48000
FRAME_SIZE = 960
LOOKAHEAD_MS = 1.5
LATENCY_SAMPLES = round(LOOKAHEAD_MS * SAMPLE_RATE / 1000)  # 72: output lags input this much
GATE_DETECTOR_MS = 10.0
_F32 = np.dtype(np.float32)
METER_FLOOR_DB = -120.0  # meters report this instead of -inf (JSON has no infinity)
LOW_SHELF_HZ, MID_BELL_HZ, HIGH_SHELF_HZ = 120.0, 1000.0, 8000.0
MID_BELL_Q = 0.9
_DENORMAL = 1e-30  # state values under this are flushed to zero
_DEFICIT_FLOOR = 1e-9  # limiter gain within 1e-9 of unity counts as unity


# ----------------------------------------------------------------------------- settings


class SettingsError(ValueError):
    """Invalid settings; ``errors`` maps dotted camelCase field paths to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in sorted(self.errors.items())))


def _param(default: float, low: float, high: float) -> Any:
    return field(default=default, metadata={"range": (low, high)})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _check(value: object, spec: dataclasses.Field[Any]) -> str | None:
    """Why ``value`` is not acceptable for ``spec``, or None."""
    if "range" in spec.metadata:
        low, high = spec.metadata["range"]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return "must be a number"
        if not low <= value <= high:  # also rejects NaN
            return f"must be between {low:g} and {high:g}"
    elif isinstance(spec.default, bool):
        if not isinstance(value, bool):
            return "must be true or false"
    elif not isinstance(value, spec.default_factory):  # type: ignore[arg-type]  # a section
        return "must be an object"
    return None


@dataclass(frozen=True)
class _Section:
    """Frozen settings group: validates on construction; camelCase JSON in and out."""

    IGNORED_KEYS: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        errors = {}
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            problem = _check(value, spec)
            if problem:
                errors[_camel(spec.name)] = problem
            elif "range" in spec.metadata:
                object.__setattr__(self, spec.name, float(value))  # ints from JSON → float
        if errors:
            raise SettingsError(errors)

    def merged(self, data: Mapping[str, Any]) -> _Section:
        """A copy with the camelCase keys of ``data`` applied (None means "keep")."""
        names = {_camel(spec.name): spec.name for spec in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for key, value in data.items():
            if key in self.IGNORED_KEYS or value is None:
                continue
            if key not in names:
                errors[key] = "unknown field"
                continue
            current = getattr(self, names[key])
            if isinstance(current, _Section):
                if not isinstance(value, Mapping):
                    errors[key] = "must be an object"
                    continue
                try:
                    value = current.merged(value)
                except SettingsError as exc:
                    errors.update({f"{key}.{k}": v for k, v in exc.errors.items()})
                    continue
            changes[names[key]] = value
        if not errors:
            try:
                return dataclasses.replace(self, **changes)
            except SettingsError as exc:
                errors.update(exc.errors)
        raise SettingsError(errors)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            out[_camel(spec.name)] = value.to_dict() if isinstance(value, _Section) else value
        return out


@dataclass(frozen=True)
class GateSettings(_Section):
    enabled: bool = True
    threshold: float = _param(-50.0, -60.0, 0.0)  # dBFS
    attack: float = _param(1.0, 0.1, 50.0)  # ms, opening glide
    hold: float = _param(20.0, 0.0, 500.0)  # ms open after the level drops
    release: float = _param(100.0, 5.0, 2000.0)  # ms, closing glide
    floor: float = _param(-80.0, -100.0, 0.0)  # dB gain while closed


@dataclass(frozen=True)
class CompressorSettings(_Section):
    enabled: bool = True
    ratio: float = _param(4.0, 1.0, 20.0)
    threshold: float = _param(-20.0, -40.0, 0.0)  # dBFS
    attack: float = _param(10.0, 0.1, 100.0)  # ms
    release: float = _param(100.0, 10.0, 1000.0)  # ms
    knee: float = _param(6.0, 0.0, 24.0)  # dB, soft-knee width
    makeup_gain: float = _param(0.0, 0.0, 24.0)  # dB


@dataclass(frozen=True)
class EqSettings(_Section):
    enabled: bool = True
    low: float = _param(0.0, -12.0, 12.0)  # dB, low shelf at 120 Hz
    mid: float = _param(0.0, -12.0, 12.0)  # dB, bell at 1 kHz
    high: float = _param(0.0, -12.0, 12.0)  # dB, high shelf at 8 kHz


@dataclass(frozen=True)
class LimiterSettings(_Section):
    enabled: bool = True
    ceiling: float = _param(-1.0, -3.0, 0.0)  # dBFS, sample peak
    release: float = _param(50.0, 1.0, 1000.0)  # ms


@dataclass(frozen=True)
class ChainSettings(_Section):
    """The spec's ``config`` object (``genre`` is the caller's business and is ignored)."""

    gain: float = _param(0.0, -20.0, 20.0)  # dB input gain
    bypass: bool = False
    noise_gate: GateSettings = field(default_factory=GateSettings)
    compressor: CompressorSettings = field(default_factory=CompressorSettings)
    eq: EqSettings = field(default_factory=EqSettings)
    limiter: LimiterSettings = field(default_factory=LimiterSettings)

    IGNORED_KEYS: ClassVar[frozenset[str]] = frozenset({"genre"})

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, base: ChainSettings | None = None
    ) -> ChainSettings:
        """Settings from the spec's camelCase ``config``; missing fields keep ``base``'s."""
        if not isinstance(data, Mapping):
            raise SettingsError({"config": "must be an object"})
        if not data and base is not None:  # nothing to change (settings are immutable)
            return base
        return cast(ChainSettings, (base or cls()).merged(data))


# ----------------------------------------------------------------------------- coefficients

# Slots of the coefficient vector read by the kernel (numba folds these globals to constants).
# fmt: off
(
    K_GAIN, K_GATE_ON, K_GATE_THR, K_GATE_DECAY, K_GATE_HOLD, K_GATE_FLOOR, K_GATE_OPEN,
    K_GATE_CLOSE, K_COMP_ON, K_COMP_LO, K_COMP_HI, K_COMP_DECAY, K_COMP_ATTACK, K_COMP_SLOPE,
    K_COMP_T, K_COMP_W, K_COMP_STEP, K_COMP_HARD_M, K_COMP_KNEE_Q, K_COMP_MAKEUP, K_EQ_ON,
    K_LIM_ON, K_LIM_CEIL, K_LIM_CLAMP, K_LIM_DECAY, K_BQ,
) = range(26)
N_COEF = K_BQ + 3 * 6  # three biquads: active flag, b0, b1, b2, a1, a2

# Slots of the scalar state vector.
(
    S_GATE_ENV, S_GATE_GAIN, S_GATE_HOLD, S_COMP_ENV, S_COMP_TARGET, S_COMP_M, S_COMP_REGION,
    S_COMP_GAIN, S_LIM_CUR, S_LIM_PREV, S_LIM_DEFICIT, S_LIM_SUM, S_LIM_COUNT, S_POS, S_Z,
) = range(15)
# fmt: on
N_STATE = S_Z + 6  # S_Z..S_Z+5: two memories per biquad


def _one_pole(ms: float, fs: int) -> float:
    return math.exp(-1.0 / (ms * 1e-3 * fs))


def rbj_biquad(kind: str, f0: float, gain_db: float, fs: int) -> tuple[float, ...]:
    """RBJ cookbook (b0, b1, b2, a1, a2) normalised by a0; shelves use S = 1."""
    amp = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * f0 / fs
    cw, sw = math.cos(w0), math.sin(w0)
    if kind == "peak":
        alpha = sw / (2.0 * MID_BELL_Q)
        b = (1 + alpha * amp, -2 * cw, 1 - alpha * amp)
        a = (1 + alpha / amp, -2 * cw, 1 - alpha / amp)
    else:
        sq = math.sqrt(2.0 * amp) * sw  # 2 * sqrt(A) * alpha, with alpha = sin(w0) / sqrt(2)
        sign = 1.0 if kind == "low" else -1.0  # the high shelf is the low one with cos → -cos
        p, m = amp + 1.0, amp - 1.0
        b = (
            amp * (p - sign * m * cw + sq),
            sign * 2 * amp * (m - sign * p * cw),
            amp * (p - sign * m * cw - sq),
        )
        a = (p + sign * m * cw + sq, -sign * 2 * (m + sign * p * cw), p + sign * m * cw - sq)
    return (b[0] / a[0], b[1] / a[0], b[2] / a[0], a[1] / a[0], a[2] / a[0])


def _largest_f32_at_most(value: float) -> float:
    f32 = np.float32(value)
    if float(f32) > value:
        f32 = np.nextafter(f32, np.float32(0.0))
    return float(f32)


@functools.lru_cache(maxsize=256)
def coefficients(settings: ChainSettings, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The kernel's coefficient vector for ``settings`` (cached; do not modify it)."""
    c = np.zeros(N_COEF)
    c[K_GAIN] = 10.0 ** (settings.gain / 20.0)
    gate, comp, lim = settings.noise_gate, settings.compressor, settings.limiter
    c[K_GATE_ON] = gate.enabled
    c[K_GATE_THR] = 10.0 ** (gate.threshold / 20.0)
    c[K_GATE_DECAY] = _one_pole(GATE_DETECTOR_MS, sample_rate)
    c[K_GATE_HOLD] = round(gate.hold * 1e-3 * sample_rate)
    c[K_GATE_FLOOR] = 10.0 ** (gate.floor / 20.0)
    c[K_GATE_OPEN] = _one_pole(gate.attack, sample_rate)
    c[K_GATE_CLOSE] = _one_pole(gate.release, sample_rate)
    _compressor_coefficients(c, comp, sample_rate)
    c[K_EQ_ON] = settings.eq.enabled
    bands = (("low", LOW_SHELF_HZ, settings.eq.low), ("peak", MID_BELL_HZ, settings.eq.mid))
    bands += (("high", HIGH_SHELF_HZ, settings.eq.high),)
    for i, (kind, f0, gain_db) in enumerate(bands):
        c[K_BQ + 6 * i] = gain_db != 0.0  # a 0 dB band is an identity: skip it
        c[K_BQ + 6 * i + 1 : K_BQ + 6 * i + 6] = rbj_biquad(kind, f0, gain_db, sample_rate)
    c[K_LIM_ON] = lim.enabled
    c[K_LIM_CEIL] = 10.0 ** (lim.ceiling / 20.0)
    c[K_LIM_CLAMP] = _largest_f32_at_most(c[K_LIM_CEIL])
    c[K_LIM_DECAY] = _one_pole(lim.release, sample_rate)
    return c


def _compressor_coefficients(c: np.ndarray, comp: CompressorSettings, fs: int) -> None:
    """Gain computer in natural-log units: level l = ln(env), gain = exp(gr(l))."""
    to_ln = math.log(10.0) / 20.0
    slope = 1.0 / comp.ratio - 1.0
    t, w = comp.threshold * to_ln, comp.knee * to_ln
    step = 1.0 / (comp.release * 1e-3 * fs)  # ln-level drop per sample of detector decay
    c[K_COMP_ON] = comp.enabled
    c[K_COMP_LO] = math.exp(t - w / 2.0)
    c[K_COMP_HI] = math.exp(t + w / 2.0)
    c[K_COMP_DECAY] = math.exp(-step)
    c[K_COMP_ATTACK] = _one_pole(comp.attack, fs)
    c[K_COMP_SLOPE], c[K_COMP_T], c[K_COMP_W], c[K_COMP_STEP] = slope, t, w, step
    c[K_COMP_HARD_M] = math.exp(-slope * step)  # gain ratio per decaying sample, above knee
    c[K_COMP_KNEE_Q] = math.exp(slope * step * step / w) if w > 0.0 else 1.0
    c[K_COMP_MAKEUP] = 10.0 ** (comp.makeup_gain / 20.0)


# ----------------------------------------------------------------------------- kernel
# The frame goes through a few loops rather than one (see the module docstring): the stages
# with a per-sample state (gain, gate, compressor, EQ) in one loop into a float64 work array,
# then the limiter only where it has work, then the meters. Stage helpers take coefficients as
# tuples of floats, not the array: an array argument would cost a reference-count round trip
# per sample once inlined. Loops index arrays (``for i in range(n)``): numba compiles
# ``for v in array`` into element-by-element iterator code that LLVM does not vectorise.

_jit = functools.partial(numba.njit, cache=True, fastmath=False, nogil=True)
# 'contract' only: a multiply and an add may fuse (one rounding instead of two), which
# shortens the glides' and biquads' per-sample dependency chains; no NaN/inf assumptions.
_jit_contract = functools.partial(numba.njit, cache=True, fastmath={"contract"}, nogil=True)


@_jit
def _count_non_finite(x: np.ndarray) -> int:
    """NaN and ±inf in a float32 array: all exponent bits set. Counted on the integer bits,
    not searched, so the loop vectorises (about 15x faster than a ``math.isfinite`` loop)."""
    bits, count = x.view(np.uint32), 0
    for i in range(bits.shape[0]):
        count += (bits[i] & np.uint32(0x7F800000)) == np.uint32(0x7F800000)
    return count


@_jit(inline="always")
def _gate(
    v: float, env: float, gain: float, hold: float, k: tuple[float, ...]
) -> tuple[float, float, float, float]:
    threshold, decay, hold_samples, floor, open_coef, close_coef = k
    a = abs(v)
    env = a if a > env else env * decay
    if env >= threshold:
        hold, target = hold_samples, 1.0
    elif hold > 0.0:
        hold, target = hold - 1.0, 1.0
    else:
        target = floor
    coef = open_coef if target > gain else close_coef
    gain = coef * gain + (1.0 - coef) * target  # target + coef * (gain - target), one FMA deep
    return v * gain, env, gain, hold


@_jit
def _static_gain(env: float, k: tuple[float, ...]) -> tuple[float, float, float]:
    """Exact gain computer at ``env``: (gain, per-sample decay multiplier, region 0/1/2)."""
    low, high, _, _, slope, thr, knee, step, hard_m, _, _ = k
    if env <= low:
        return 1.0, 1.0, 0.0
    u = math.log(env) - thr
    if env > high:
        return math.exp(slope * u), hard_m, 2.0
    u += knee / 2.0  # 0 at the knee's lower edge
    gr_next = slope * (step * step - 2.0 * u * step) / (2.0 * knee)  # gr(u - step) - gr(u)
    return math.exp(slope * u * u / (2.0 * knee)), math.exp(gr_next), 1.0


@_jit(inline="always")
def _region_edge(region: float, k: tuple[float, ...]) -> tuple[float, float]:
    """(detector level at or under which ``region``'s formula ends, ratio that advances m).

    Under the knee (region 0) the gain stays 1 until a new peak: edge -1, never reached."""
    low, high, knee_q = k[0], k[1], k[9]
    if region == 2.0:
        return high, 1.0
    return (low, knee_q) if region == 1.0 else (-1.0, 1.0)


@_jit(inline="always")
def _compressor(
    v: float, env: float, gain: float, g: tuple[float, float, float, float, float], k: tuple
) -> tuple[float, float, float, tuple[float, float, float, float, float]]:
    """One sample; ``g`` is the gain computer's state: target, m, region and its edge, ratio."""
    target, m, region, edge, q = g
    decay, attack, makeup = k[2], k[3], k[10]
    a = abs(v)
    decayed = env * decay
    if a > env or decayed <= edge:  # a new peak, or a knee edge crossed: compute exactly
        env = a if a > env else decayed
        target, m, region = _static_gain(env, k)
        edge, q = _region_edge(region, k)
    else:  # the ln level fell by exactly one step: advance the gain by its ratio (m and q
        env = decayed  # are 1 where the gain does not change, so those products are exact)
        target *= m
        m *= q
    # a drop in gain is smoothed by the attack; a rise follows the detector's release
    gain = attack * gain + (1.0 - attack) * target if target < gain else target
    return v * gain * makeup, env, gain, (target, m, region, edge, q)


@_jit(inline="always")
def _biquad(
    v: float, z1: float, z2: float, b: tuple[float, float, float, float, float]
) -> tuple[float, float, float]:
    b0, b1, b2, a1, a2 = b
    y = b0 * v + z1
    return y, (b1 * v + z2) - a1 * y, b2 * v - a2 * y


@_jit(inline="always")
def _flush(value: float) -> float:
    return 0.0 if abs(value) < _DENORMAL else value


@_jit_contract(inline="always")
def _stages(
    x: np.ndarray,
    w: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    size: int,
    gate_on: bool,
    comp_on: bool,
    eq_on: bool,
) -> float:
    """Input gain, gate, compressor and EQ from ``x`` into ``w``; the lowest compressor gain."""
    gain_in = c[K_GAIN]
    gate_k = (c[K_GATE_THR], c[K_GATE_DECAY], c[K_GATE_HOLD], c[K_GATE_FLOOR],
              c[K_GATE_OPEN], c[K_GATE_CLOSE])  # fmt: skip
    comp_k = (c[K_COMP_LO], c[K_COMP_HI], c[K_COMP_DECAY], c[K_COMP_ATTACK], c[K_COMP_SLOPE],
              c[K_COMP_T], c[K_COMP_W], c[K_COMP_STEP], c[K_COMP_HARD_M], c[K_COMP_KNEE_Q],
              c[K_COMP_MAKEUP])  # fmt: skip
    on0, on1, on2 = int(c[K_BQ]), int(c[K_BQ + 6]), int(c[K_BQ + 12])
    bq0 = (c[K_BQ + 1], c[K_BQ + 2], c[K_BQ + 3], c[K_BQ + 4], c[K_BQ + 5])
    bq1 = (c[K_BQ + 7], c[K_BQ + 8], c[K_BQ + 9], c[K_BQ + 10], c[K_BQ + 11])
    bq2 = (c[K_BQ + 13], c[K_BQ + 14], c[K_BQ + 15], c[K_BQ + 16], c[K_BQ + 17])
    g_env, g_gain, g_hold = s[S_GATE_ENV], s[S_GATE_GAIN], s[S_GATE_HOLD]
    c_env, c_gain, region = s[S_COMP_ENV], s[S_COMP_GAIN], s[S_COMP_REGION]
    edge, q = _region_edge(region, comp_k)
    c_g = (s[S_COMP_TARGET], s[S_COMP_M], region, edge, q)
    z0, z1, z2, z3, z4, z5 = s[S_Z], s[S_Z + 1], s[S_Z + 2], s[S_Z + 3], s[S_Z + 4], s[S_Z + 5]
    pos, comp_min = int(s[S_POS]), 1.0
    for i in range(x.shape[0]):
        v = x[i] * gain_in
        if gate_on:
            v, g_env, g_gain, g_hold = _gate(v, g_env, g_gain, g_hold, gate_k)
        if comp_on:
            v, c_env, c_gain, c_g = _compressor(v, c_env, c_gain, c_g, comp_k)
            comp_min = min(comp_min, c_gain)
        if eq_on:
            if on0:
                v, z0, z1 = _biquad(v, z0, z1, bq0)
            if on1:
                v, z2, z3 = _biquad(v, z2, z3, bq1)
            if on2:
                v, z4, z5 = _biquad(v, z4, z5, bq2)
        if pos == 0:  # block start (absolute position): flush denormals
            g_env, c_env = _flush(g_env), _flush(c_env)
            z0, z1, z2 = _flush(z0), _flush(z1), _flush(z2)
            z3, z4, z5 = _flush(z3), _flush(z4), _flush(z5)
        pos = pos + 1 if pos + 1 < size else 0
        w[i] = v
    s[S_GATE_ENV], s[S_GATE_GAIN], s[S_GATE_HOLD] = g_env, g_gain, g_hold
    s[S_COMP_ENV], s[S_COMP_GAIN] = c_env, c_gain
    s[S_COMP_TARGET], s[S_COMP_M], s[S_COMP_REGION] = c_g[0], c_g[1], c_g[2]
    s[S_Z], s[S_Z + 1], s[S_Z + 2], s[S_Z + 3], s[S_Z + 4], s[S_Z + 5] = z0, z1, z2, z3, z4, z5
    return comp_min


@_jit_contract
def _stages_all_on(x: np.ndarray, w: np.ndarray, c: np.ndarray, s: np.ndarray, size: int) -> float:
    return _stages(x, w, c, s, size, True, True, True)


@_jit_contract
def _stages_some_on(x: np.ndarray, w: np.ndarray, c: np.ndarray, s: np.ndarray, size: int) -> float:
    return _stages(x, w, c, s, size, c[K_GATE_ON] != 0.0, c[K_COMP_ON] != 0.0, c[K_EQ_ON] != 0.0)


@_jit
def _run_stages(x: np.ndarray, w: np.ndarray, c: np.ndarray, s: np.ndarray, size: int) -> float:
    if c[K_GATE_ON] != 0.0 and c[K_COMP_ON] != 0.0 and c[K_EQ_ON] != 0.0:
        return _stages_all_on(x, w, c, s, size)
    return _stages_some_on(x, w, c, s, size)


@_jit
def _limiter_idle(w: np.ndarray, c: np.ndarray, s: np.ndarray) -> bool:
    """Whether the limiter leaves this frame as it is: off, or nothing held and nothing over."""
    if c[K_LIM_ON] == 0.0:
        return True
    if s[S_LIM_COUNT] != 0.0 or s[S_LIM_DEFICIT] != 0.0:
        return False
    if s[S_LIM_CUR] != 1.0 or s[S_LIM_PREV] != 1.0:
        return False
    ceil, over = c[K_LIM_CEIL], 0
    for i in range(w.shape[0]):  # counted, not searched: the loop vectorises
        over += abs(w[i]) > ceil
    return over == 0


@_jit
def _delay(w: np.ndarray, y: np.ndarray, s: np.ndarray, line: np.ndarray) -> None:
    """The look-ahead delay alone: ``y`` is ``w`` late by ``size - 1`` samples."""
    size, pos, n = line.shape[0], int(s[S_POS]), w.shape[0]
    starts = 0 if pos == 0 else size - pos  # the first block start in the frame, then each size
    rotations = 0 if starts >= n else 1 + (n - 1 - starts) // size
    if rotations:  # the limiter's hold rotates at block starts even while it is off
        s[S_LIM_PREV] = s[S_LIM_CUR] if rotations == 1 else 1.0
        s[S_LIM_CUR] = 1.0
    lag = size - 1
    head = min(n, lag)
    j = pos + 1 if pos + 1 < size else 0
    for i in range(head):  # samples still in the line, oldest first
        y[i] = line[j]
        j = j + 1 if j + 1 < size else 0
    late, early = y[head:], w[: n - head]  # views indexed from 0: the copy vectorises
    for i in range(n - head):
        late[i] = np.float32(early[i])
    first = max(0, n - size)  # the last `size` samples wait in the line
    j = (pos + first) % size
    for i in range(first, n):
        line[j] = w[i]
        j = j + 1 if j + 1 < size else 0
    s[S_POS] = (pos + n) % size


@_jit
def _limiter(
    w: np.ndarray,
    y: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    line: np.ndarray,
    deficits: np.ndarray,
) -> float:
    """Delay and limit ``w`` into ``y``; the lowest limiter gain of the frame."""
    size = line.shape[0]  # look-ahead + 1
    ceil, clamp, lim_decay, inv_size = c[K_LIM_CEIL], c[K_LIM_CLAMP], c[K_LIM_DECAY], 1.0 / size
    cur, prev, deficit = s[S_LIM_CUR], s[S_LIM_PREV], s[S_LIM_DEFICIT]
    total, count, pos = s[S_LIM_SUM], s[S_LIM_COUNT], int(s[S_POS])
    lowest = 1.0
    for i in range(w.shape[0]):
        v = w[i]
        if pos == 0:  # block start (absolute position): rotate the hold
            prev, cur = cur, 1.0
        nxt = pos + 1 if pos + 1 < size else 0
        out = line[nxt]  # the sample from `size - 1` samples ago: the look-ahead delay
        line[pos] = v
        # gain: held least need, released, averaged over the window (`total`)
        a = abs(v)
        if a > ceil:
            cur = min(cur, ceil / a)
        decayed = deficit * lim_decay
        deficit = max(1.0 - min(cur, prev), decayed if decayed > _DEFICIT_FLOOR else 0.0)
        old = deficits[pos]
        deficits[pos] = deficit
        if deficit != 0.0 or count != 0.0:  # else the whole window is at unity: gain 1
            count += (deficit != 0.0) - (old != 0.0)
            total = total + (deficit - old) if count > 0.0 else 0.0  # exact 0 when idle
            gain = 1.0 - total * inv_size
            lowest = min(lowest, gain)
            out = min(max(out * gain, -clamp), clamp)  # the clamp covers rounding
        pos = nxt
        y[i] = out
    s[S_LIM_CUR], s[S_LIM_PREV], s[S_LIM_DEFICIT] = cur, prev, deficit
    s[S_LIM_SUM], s[S_LIM_COUNT], s[S_POS] = total, count, pos
    return lowest


@numba.njit(cache=True, fastmath={"reassoc", "contract"}, nogil=True)
def _sum_squares(y: np.ndarray) -> float:
    """Sum of squares in float64, in any order (reassociated, so the loop vectorises)."""
    total = 0.0
    for i in range(y.shape[0]):
        v = np.float64(y[i])
        total += v * v
    return total


@_jit
def _peak(y: np.ndarray) -> float:
    """Largest ``|y|`` of a finite float32 array: a magnitude orders as its bits without the
    sign, and an integer maximum vectorises where a float one (NaN rules) does not."""
    bits, top = y.view(np.uint32), np.uint32(0)
    for i in range(bits.shape[0]):
        top = max(top, bits[i] & np.uint32(0x7FFFFFFF))
    return float(np.array([top], np.uint32).view(np.float32)[0])


@_jit
def _db(value: float) -> float:
    return max(20.0 * math.log10(value), METER_FLOOR_DB) if value > 0.0 else METER_FLOOR_DB


@_jit
def _kernel(
    x: np.ndarray, y: np.ndarray, c: np.ndarray, state: np.ndarray
) -> tuple[float, float, float, float]:
    """Run the chain over float32 ``x`` into ``y`` with ``state`` (``ChainState.values``).

    Returns the frame's meters: peak dBFS, RMS dBFS, compressor and limiter reduction dB.
    Raises :class:`FrameError`, before touching ``state``, if ``x`` is not all finite.
    """
    if _count_non_finite(x):
        raise FrameError(NON_FINITE)
    size = (state.shape[0] - N_STATE) // 2  # look-ahead + 1
    s, line, deficits = state[:N_STATE], state[N_STATE : N_STATE + size], state[N_STATE + size :]
    w = np.empty(x.shape[0])
    comp_min = _run_stages(x, w, c, s, size)
    if _limiter_idle(w, c, s):
        _delay(w, y, s, line)
        lim_min = 1.0
    else:
        lim_min = _limiter(w, y, c, s, line, deficits)
    rms = math.sqrt(_sum_squares(y) / y.shape[0])
    return _db(_peak(y)), _db(rms), -_db(comp_min) + 0.0, -_db(lim_min) + 0.0  # + 0.0: no -0.0


# ----------------------------------------------------------------------------- public API


@dataclass(eq=False)
class ChainState:
    """Everything the chain remembers between frames (one per stream; not thread-safe).

    One float64 array, so the kernel takes one state argument (each array argument costs
    numba's dispatch about 0.1 µs): ``N_STATE`` scalars (envelopes, gains, biquad memories,
    counters), then the delay line and the limiter's gain deficits (look-ahead + 1 each).
    """

    values: np.ndarray
    sample_rate: int
    _coef_for: ChainSettings | None = field(default=None, repr=False)
    _coef: np.ndarray | None = field(default=None, repr=False)

    @property
    def scalars(self) -> np.ndarray:
        """A view of the scalar slots (``S_*``)."""
        return self.values[:N_STATE]

    @property
    def ring(self) -> np.ndarray:
        """A (2, look-ahead + 1) view: the delay line, the limiter's gain deficits."""
        return self.values[N_STATE:].reshape(2, -1)


def new_state(*, sample_rate: int = SAMPLE_RATE) -> ChainState:
    """A fresh state: silence history, gate closed, no gain reduction."""
    size = round(LOOKAHEAD_MS * sample_rate / 1000) + 1
    values = np.zeros(N_STATE + 2 * size)
    values[[S_COMP_TARGET, S_COMP_M, S_COMP_GAIN, S_LIM_CUR, S_LIM_PREV]] = 1.0
    return ChainState(values=values, sample_rate=sample_rate)


class ProcessResult(NamedTuple):
    """One processed frame and its meters (silence reads ``METER_FLOOR_DB``)."""

    samples: np.ndarray  # float32, same length as the input
    peak_db: float  # output sample peak, dBFS
    rms_db: float  # output RMS, dBFS (a full-scale square wave is 0 dBFS)
    compressor_gr_db: float  # deepest compressor gain reduction in the frame, dB (>= 0)
    limiter_gr_db: float  # deepest limiter gain reduction in the frame, dB (>= 0)


class FrameError(ValueError):
    """The audio frame is not a 1-D, non-empty array of finite float32-range numbers."""


NON_FINITE = "audio must be finite (no NaN/inf) and within float32 range"
_new_result = tuple.__new__  # ProcessResult's fields in order, without its Python __new__


def _as_float32(x: object) -> np.ndarray:
    try:
        arr = np.asarray(x)
        if arr.dtype.kind == "O":  # e.g. a list mixing ints and floats
            arr = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise FrameError("audio must be an array of numbers") from None
    if arr.dtype.kind not in "fiu":
        raise FrameError(f"audio must be real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise FrameError(f"audio must be 1-D (mono), got shape {arr.shape}")
    with np.errstate(over="ignore", invalid="ignore"):  # too large for float32: inf, below
        return np.ascontiguousarray(arr, dtype=np.float32)


def _as_frame(x: object) -> np.ndarray:
    """``x`` as a non-empty contiguous float32 1-D array (finiteness not checked)."""
    if type(x) is np.ndarray and x.dtype == _F32 and x.ndim == 1 and x.flags.c_contiguous:
        arr = x  # the common case, without copies
    else:
        arr = _as_float32(x)
    if arr.size == 0:
        raise FrameError("audio must contain at least one sample")
    return arr


def valid_frame(x: object) -> np.ndarray:
    """``x`` as a contiguous float32 1-D array, or :class:`FrameError` saying what is wrong."""
    arr = _as_frame(x)
    if _count_non_finite(arr):
        raise FrameError(NON_FINITE)
    return arr


def _coefficients_for(state: ChainState, settings: ChainSettings) -> np.ndarray:
    if state._coef_for is not settings:  # identity check: the usual case costs nothing
        state._coef = coefficients(settings, state.sample_rate)
        state._coef_for = settings
    return cast(np.ndarray, state._coef)


def _bypass(x: np.ndarray) -> ProcessResult:
    out = x.copy()
    wide = out.astype(np.float64)
    peak, rms = float(np.max(np.abs(wide))), math.sqrt(float(np.dot(wide, wide)) / out.size)
    return ProcessResult(out, _db(peak), _db(rms), 0.0, 0.0)


def process(
    frame: npt.ArrayLike,
    *,
    settings: ChainSettings,
    state: ChainState,
    sample_rate: int = SAMPLE_RATE,
) -> ProcessResult:
    """Process one frame (any length >= 1), advancing ``state``.

    The output lags the input by ``LATENCY_SAMPLES`` (the limiter's look-ahead): keep one
    state per stream, and feed ``LATENCY_SAMPLES`` zeros at the end to get the last samples
    out. With ``settings.bypass`` the input comes back as is and ``state`` is not touched.
    Raises :class:`FrameError` for a bad frame, ValueError for a state of another rate.
    """
    if sample_rate != state.sample_rate:
        raise ValueError(f"state was made for {state.sample_rate} Hz, not {sample_rate} Hz")
    if settings.bypass:
        return _bypass(valid_frame(frame))
    x = _as_frame(frame)  # the kernel checks finiteness, before it touches the state
    out = np.empty(x.size, _F32)  # a new array each frame: callers keep earlier outputs
    coef = state._coef if state._coef_for is settings else _coefficients_for(state, settings)
    meters = _kernel(x, out, coef, state.values)
    return _new_result(ProcessResult, (out, *meters))  # type: ignore[no-any-return]


def warm_up() -> float:
    """Compile or load the kernel from numba's cache (call at worker start); seconds taken."""
    start = time.perf_counter()
    for bypass in (False, True):
        process(np.zeros(8, np.float32), settings=ChainSettings(bypass=bypass), state=new_state())
    return time.perf_counter() - start
