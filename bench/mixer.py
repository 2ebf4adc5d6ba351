"""The mixer, in one run: µs per 960-sample frame of the chain (numba vs NumPy/SciPy vs
Spotify's pedalboard), then ``POST /v1/process-audio`` latency and throughput over HTTP.

    python bench/mixer.py [--frames 20000] [--reference-frames 100]
                          [--rates 100 250 500] [--load-seconds 10] [--connections 8]
                          [--workers 1] [--no-http] [--no-dsp] [--wrk]

Every implementation carries its state from frame to frame over the same signal (pink-ish
noise with sine bursts and pauses) with every stage enabled, and is timed call by call after a
warm-up; the table gives the median, the 99th percentile and how many times faster than real
time (20 ms of audio per frame) the median is.

The HTTP part (bench/mixer_http.py) starts the production ASGI server (uvicorn, as
``manage.py runservice`` runs it, ``--workers`` processes) on a free port
with the embedded defaults, creates an enterprise API key for a ``bench`` user, and drives it
from a separate process at a fixed request rate (open loop: latency counts from when each
request was due, so a server that falls behind is not flattered), then removes the key.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.signal import lfilter, sosfilt

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mixer import dsp
from mixer.dsp import ChainSettings

FS, N = dsp.SAMPLE_RATE, dsp.FRAME_SIZE
SETTINGS = ChainSettings.from_dict(
    {
        "gain": 3,
        "noiseGate": {"threshold": -50},
        "compressor": {"ratio": 4, "threshold": -20, "attack": 10, "release": 100},
        "eq": {"low": 2, "mid": -1.5, "high": 3},
        "limiter": {"ceiling": -1, "release": 50},
    }
)


def make_signal(seconds: float, seed: int = 0) -> np.ndarray:
    """Pink-ish noise at about -26 dBFS RMS, 440 Hz bursts at -6 dBFS, and short pauses."""
    rng = np.random.default_rng(seed)
    n = round(seconds * FS) // N * N
    t = np.arange(n) / FS
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]  # Kellet's -3 dB/octave
    a = [1.0, -2.494956002, 2.017265875, -0.522189400]
    pink = lfilter(b, a, rng.standard_normal(n))
    x = 0.05 * pink / np.std(pink)
    x += (np.sin(2 * np.pi * 3 * t) > 0.3) * 0.5 * np.sin(2 * np.pi * 440 * t)
    x *= np.sin(2 * np.pi * 0.2 * t) > -0.9  # a pause every 5 s for the gate
    return x.astype(np.float32)


class ScipyChain:
    """Vectorised NumPy/SciPy *approximation* of the chain, frame by frame with lfilter zi.

    Gate and compressor envelopes are plain one-pole followers, the limiter has no release
    stage: close in cost, not in output.
    """

    def __init__(self, s: ChainSettings) -> None:
        one_pole = lambda ms: float(np.exp(-1.0 / (ms * 1e-3 * FS)))  # noqa: E731
        self.s, self.gain = s, 10 ** (s.gain / 20)
        self.env_coef = one_pole(dsp.GATE_DETECTOR_MS)
        self.glide = one_pole((s.noise_gate.attack + s.noise_gate.release) / 2)
        self.comp_coef = one_pole(s.compressor.attack)
        self.sos = np.array([[*c[:3], 1.0, *c[3:]] for c in self._biquads(s)])
        self.ceiling = 10 ** (s.limiter.ceiling / 20)
        self.look = dsp.LATENCY_SAMPLES
        self.zi = {k: np.zeros(1) for k in ("gate_env", "gate_gain", "comp_env")}
        self.sos_zi = np.zeros((3, 2))
        self.x_tail, self.need_tail = np.zeros(self.look), np.ones(2 * self.look)

    @staticmethod
    def _biquads(s: ChainSettings) -> list[tuple[float, ...]]:
        return [
            dsp.rbj_biquad("low", dsp.LOW_SHELF_HZ, s.eq.low, FS),
            dsp.rbj_biquad("peak", dsp.MID_BELL_HZ, s.eq.mid, FS),
            dsp.rbj_biquad("high", dsp.HIGH_SHELF_HZ, s.eq.high, FS),
        ]

    def _smooth(self, key: str, coef: float, x: np.ndarray) -> np.ndarray:
        y, self.zi[key] = lfilter([1 - coef], [1, -coef], x, zi=self.zi[key])
        return y

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        v = frame.astype(np.float64) * self.gain
        g, c = self.s.noise_gate, self.s.compressor
        env = self._smooth("gate_env", self.env_coef, np.abs(v))
        target = np.where(env >= 10 ** (g.threshold / 20), 1.0, 10 ** (g.floor / 20))
        v *= self._smooth("gate_gain", self.glide, target)
        level = 20 * np.log10(np.maximum(self._smooth("comp_env", self.comp_coef, np.abs(v)), 1e-9))
        over = level - c.threshold
        knee = np.clip(over + c.knee / 2, 0, c.knee)
        gr = (1 / c.ratio - 1) * np.where(over > c.knee / 2, over, knee**2 / (2 * c.knee))
        v *= 10 ** (gr / 20)
        v, self.sos_zi = sosfilt(self.sos, v, zi=self.sos_zi)
        buf = np.concatenate([self.x_tail, v])
        need = np.concatenate([self.need_tail, np.minimum(1, self.ceiling / np.abs(v).clip(1e-9))])
        window = np.lib.stride_tricks.sliding_window_view
        held = window(need, self.look + 1).min(axis=1)  # 2L + n values -> L + n
        gain = window(held, self.look + 1).mean(axis=1)  # -> n
        self.x_tail, self.need_tail = buf[-self.look :], need[-2 * self.look :]
        return np.clip(buf[: v.size] * gain, -self.ceiling, self.ceiling).astype(np.float32)


def pedalboard_chain(s: ChainSettings) -> Callable[[np.ndarray], np.ndarray]:
    import pedalboard as pb  # optional: a dev/bench dependency only

    g, c, eq = s.noise_gate, s.compressor, s.eq
    board = pb.Pedalboard(
        [
            pb.Gain(gain_db=s.gain),
            pb.NoiseGate(
                threshold_db=g.threshold, ratio=10, attack_ms=g.attack, release_ms=g.release
            ),
            pb.Compressor(
                threshold_db=c.threshold, ratio=c.ratio, attack_ms=c.attack, release_ms=c.release
            ),
            pb.LowShelfFilter(cutoff_frequency_hz=dsp.LOW_SHELF_HZ, gain_db=eq.low, q=0.7071),
            pb.PeakFilter(cutoff_frequency_hz=dsp.MID_BELL_HZ, gain_db=eq.mid, q=dsp.MID_BELL_Q),
            pb.HighShelfFilter(cutoff_frequency_hz=dsp.HIGH_SHELF_HZ, gain_db=eq.high, q=0.7071),
            pb.Limiter(threshold_db=s.limiter.ceiling, release_ms=s.limiter.release),
        ]
    )
    return lambda frame: board(frame, FS, reset=False)


def numba_kernel(s: ChainSettings) -> Callable[[np.ndarray], None]:
    state, coef, out = dsp.new_state(), dsp.coefficients(s, FS), np.empty(N, np.float32)
    return lambda frame: dsp._kernel(frame, out, coef, state.values)


def chain_and_meter(s: ChainSettings) -> Callable[[np.ndarray], float]:
    from mixer import loudness

    state, meter_state = dsp.new_state(), loudness.new_meter_state()
    return lambda f: loudness.meter(dsp.process(f, settings=s, state=state).samples, meter_state)


def reference_per_sample(s: ChainSettings) -> Callable[[np.ndarray], np.ndarray]:
    from tests.mixer.reference_chain import reference_chain  # the tests' plain Python loops

    return lambda frame: reference_chain(frame, s, FS)  # fresh state per frame: same cost


def time_frames(run: Callable[[np.ndarray], object], frames: np.ndarray, count: int) -> np.ndarray:
    """Per-call µs over ``count`` consecutive frames (cycling through ``frames``)."""
    for frame in frames[: min(200, count)]:  # warm-up: caches, branch predictors, allocators
        run(frame)
    times = np.empty(count)
    clock = time.perf_counter_ns
    for i in range(count):
        frame = frames[i % len(frames)]
        start = clock()
        run(frame)
        times[i] = clock() - start
    return times / 1000.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20000, help="frames timed per implementation")
    parser.add_argument(
        "--reference-frames",
        type=int,
        default=100,
        help="frames for the slow per-sample Python reference (0 skips it)",
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the test signal")
    parser.add_argument(
        "--rates",
        type=float,
        nargs="+",
        default=[100.0, 250.0, 500.0],
        help="HTTP request rates to try, requests per second",
    )
    parser.add_argument("--load-seconds", type=float, default=10.0, help="HTTP load duration")
    parser.add_argument("--connections", type=int, default=8, help="HTTP keep-alive connections")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP load test")
    parser.add_argument("--no-dsp", action="store_true", help="skip the per-frame table")
    parser.add_argument("--wrk", action="store_true",
                        help="also a closed-loop run with wrk (Debian package) at full speed")
    args = parser.parse_args(argv)
    if not args.no_dsp:
        dsp_table(args)
    if not args.no_http:
        from bench import mixer_http

        mixer_http.run(rates=args.rates, seconds=args.load_seconds, connections=args.connections,
                       workers=args.workers, wrk=args.wrk)


def dsp_table(args: argparse.Namespace) -> None:

    load_s = dsp.warm_up()
    frames = make_signal(args.seconds).reshape(-1, N)
    state = dsp.new_state()
    runs: list[tuple[str, Callable[[np.ndarray], object], int]] = [
        (
            "numba chain: mixer.dsp.process",
            lambda f: dsp.process(f, settings=SETTINGS, state=state),
            args.frames,
        ),
        ("numba kernel alone (no Python wrapper)", numba_kernel(SETTINGS), args.frames),
        ("chain + LUFS meter (what /process-audio runs)", chain_and_meter(SETTINGS), args.frames),
        ("NumPy/SciPy vectorised approximation", ScipyChain(SETTINGS), args.frames),
        ("pedalboard 0.9 (same 7 stages, reset=False)", pedalboard_chain(SETTINGS), args.frames),
    ]
    if args.reference_frames:
        runs.append(
            (
                "per-sample Python reference (tests)",
                reference_per_sample(SETTINGS),
                args.reference_frames,
            )
        )
    print(f"kernel load/compile at warm-up: {load_s * 1000:.0f} ms; signal {args.seconds:g} s\n")
    print("| implementation | µs/frame (median) | p99 µs | \u00d7 real time | frames |")
    print("|---|---:|---:|---:|---:|")
    for name, run, count in runs:
        times = time_frames(run, frames, count)
        median = float(np.median(times))
        p99 = float(np.percentile(times, 99))
        print(f"| {name} | {median:.1f} | {p99:.1f} | {20000 / median:,.0f} | {count} |")


if __name__ == "__main__":
    main()
