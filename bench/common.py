"""Shared benchmark plumbing: a realistic long signal, and one child process per size.

Each (engine, length) runs in its own process so that peak RSS (ru_maxrss) belongs to that
run alone. Input: real speech from ../shared/data tiled, plus real noise, 44.1 kHz stereo.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import signals  # noqa: E402

RATE = 44100


def long_signal(minutes: float, *, level: float = 0.1) -> np.ndarray:
    """(2, n) float32 built in place, blockwise: no copy of the full length is ever made."""
    n = int(minutes * 60 * RATE)
    speech = signals.speech(RATE)
    noise = signals.noise(RATE, speech.size)
    unit = np.stack([speech + 0.3 * noise, 0.8 * speech + 0.3 * noise[::-1]])
    unit *= level / np.abs(unit).max()
    out = np.empty((2, n), dtype=np.float32)
    for start in range(0, n, unit.shape[1]):
        stop = min(n, start + unit.shape[1])
        out[:, start:stop] = unit[:, : stop - start]
    return out


def measure(run: Callable[[np.ndarray], object], minutes: float, *, level: float = 0.1) -> dict:
    # A fresh process pays once for what a worker pays at its start or on its first job:
    # numba's own start-up and loading the cached kernels, lazy imports. Timed apart
    # ("first call"), on one second of the same signal, so "seconds" is the cost per job.
    start = time.perf_counter()
    run(long_signal(1 / 60, level=level))
    first_call = time.perf_counter() - start
    audio = long_signal(minutes, level=level)
    start, cpu_start = time.perf_counter(), time.process_time()
    run(audio)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # CPU seconds (all threads) say more than wall time on a shared, loaded machine.
    return {"minutes": minutes, "seconds": seconds, "rtf": minutes * 60 / seconds, "cpu_s": cpu,
            "first_call_s": first_call, "peak_rss_mb": peak_mb,
            "audio_mb": audio.nbytes / 2**20}


def main(script: str, name: str, run: Callable[[np.ndarray], object]) -> None:
    """Print the table for --sizes; each size is measured in its own process."""
    main_with_options(script, lambda _args: name, lambda audio, _args: run(audio))


def main_with_options(
    script: str,
    name: Callable[[argparse.Namespace], str],
    run: Callable[[np.ndarray, argparse.Namespace], object],
    add_options: Callable[[argparse.ArgumentParser], None] = lambda _parser: None,
) -> None:
    """``main`` for scripts with options of their own: ``script [OPTIONS] --child MINUTES``
    measures one size with the same options."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10, 60])
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    add_options(parser)
    args = parser.parse_args()
    if args.child is not None:
        level = getattr(args, "level", 0.1)  # the input's peak, for scripts that offer it
        print(json.dumps(measure(lambda audio: run(audio, args), args.child, level=level)))
        return
    table(script, name(args), args.sizes, sys.argv[1:])


def child_result(args: list[str]) -> dict:
    """Run this interpreter on ``args`` in a fresh process (its own peak RSS) and return the JSON
    object it prints on its last line."""
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def table(script: str, name: str, sizes: list[float], options: list[str]) -> None:
    print(f"| {name} | minutes | seconds | x real time | CPU s | first call s | peak RSS MB "
          "| audio MB |")
    print("|---|---|---|---|---|---|---|---|")
    for minutes in sizes:
        r = child_result([script, *options, "--child", str(minutes)])
        print(f"| {name} | {minutes:g} | {r['seconds']:.2f} | {r['rtf']:.0f}x | {r['cpu_s']:.2f} | "
              f"{r['first_call_s']:.2f} | {r['peak_rss_mb']:.0f} | {r['audio_mb']:.0f} |",
              flush=True)
