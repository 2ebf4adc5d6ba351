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


def measure(run: Callable[[np.ndarray], object], minutes: float) -> dict:
    audio = long_signal(minutes)
    start = time.perf_counter()
    run(audio)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"minutes": minutes, "seconds": seconds, "rtf": minutes * 60 / seconds,
            "peak_rss_mb": peak_mb, "audio_mb": audio.nbytes / 2**20}


def child_main(run: Callable[[np.ndarray], object]) -> None:
    print(json.dumps(measure(run, float(sys.argv[2]))))


def main(script: str, name: str, run: Callable[[np.ndarray], object]) -> None:
    """``script --child MINUTES`` measures one size; otherwise print the table for --sizes."""
    if sys.argv[1:2] == ["--child"]:
        child_main(run)
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10, 60])
    table(script, name, parser.parse_args().sizes)


def table(script: str, name: str, sizes: list[float]) -> None:
    print(f"| {name} | minutes | seconds | x real time | peak RSS MB | audio MB |")
    print("|---|---|---|---|---|---|")
    for minutes in sizes:
        out = subprocess.run([sys.executable, script, "--child", str(minutes)],
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"| {name} | {minutes:g} | {r['seconds']:.2f} | {r['rtf']:.0f}x | "
              f"{r['peak_rss_mb']:.0f} | {r['audio_mb']:.0f} |", flush=True)
