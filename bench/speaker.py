"""Speaker extraction: speed (real-time factor, peak RSS) and quality (SI-SDR, score AUC).

    python bench/speaker.py --sizes 1 10 [--encoders ge2e ecapa]   # speed
    python bench/speaker.py --quality [--conversations 10]          # quality (GE2E)

Speed input: a real conversation (three speakers from ../shared/data, overlapping turns)
tiled to length, 44.1 kHz stereo. Each (encoder, size) runs in its own process, so peak RSS
is that run's. ECAPA runs with randomly initialised weights of the published size when the
real ones are not in MODELS_DIR: its speed is real, its quality would be meaningless, so
quality is measured for GE2E only (and for ECAPA when its real weights and calibration exist).

Quality: per conversation, the right target's enrolment (recordings not in the mix) gives the
SI-SDR of the output against the target-only track; the score for the right target and for
two speakers absent from the conversation give the target-vs-non-target AUC.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT

from speaker.calibration import Calibration, LogisticMap, is_calibrated, load_calibration
from speaker.encoders import ecapa_present, load_encoder
from speaker.engine import extract_speaker
from tests.signals import si_sdr
from tests.speaker.conversation import build
from tests.speaker.ecapa import PUBLISHED_CHANNELS, write_random_ecapa

RATE = 44100
ENGLISH = [
    "en_ls1688_m",
    "en_ls1998_f",
    "en_ls2033_m",
    "en_ls2414_m",
    "en_ls2609_m",
    "en_ls3005_m",
    "en_ls3080_f",
    "en_ls3331_f",
    "en_ls367_f",
    "en_ls533_f",
]
MODELS_DIR = ROOT / "models"


def encoder_and_calibration(name: str):
    if name == "ge2e" or (ecapa_present(MODELS_DIR) and is_calibrated("ecapa")):
        return load_encoder(name, models_dir=MODELS_DIR), load_calibration(name), True
    models_dir = Path(tempfile.mkdtemp())
    write_random_ecapa(models_dir, channels=PUBLISHED_CHANNELS, speakers=7205)
    flat = LogisticMap(slope=10.0, intercept=-5.0)
    return load_encoder("ecapa", models_dir=models_dir), Calibration("ecapa", flat, flat), False


def child(encoder_name: str, minutes: float) -> None:
    encoder, calibration, _ = encoder_and_calibration(encoder_name)
    talk = build("en_ls3331_f", ["en_ls2033_m", "en_ls2609_m"], turns=3, rate=RATE)
    n = int(minutes * 60 * RATE)
    mono = np.tile(talk.mix, n // talk.mix.size + 1)[:n]
    audio = np.stack([mono, 0.8 * mono])
    del mono
    # Warm-up, as in a worker that has run a job before: imports and numba compilation.
    extract_speaker(
        audio[:, : 10 * RATE].copy(),
        sample_rate=RATE,
        target=talk.enrolment[None],
        target_sample_rate=RATE,
        encoder=encoder,
        calibration=calibration,
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    extract_speaker(
        audio,
        sample_rate=RATE,
        target=talk.enrolment[None],
        target_sample_rate=RATE,
        encoder=encoder,
        calibration=calibration,
    )
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rtf": minutes * 60 / seconds,
                "cpu_seconds": cpu,
                "cpu_rtf": minutes * 60 / cpu,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def speed(encoders: list[str], sizes: list[float]) -> None:
    print(
        "| encoder | minutes | seconds | x real time | CPU seconds | x real time (CPU) "
        "| peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in encoders:
        for minutes in sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--child", name, str(minutes)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(
                f"| {name} | {minutes:g} | {r['seconds']:.1f} | {r['rtf']:.1f}x | "
                f"{r['cpu_seconds']:.1f} | {r['cpu_rtf']:.1f}x | {r['peak_rss_mb']:.0f} |",
                flush=True,
            )


def auc(positives: list[float], negatives: list[float]) -> float:
    """P(a target's score > a non-target's), ties counting half (Mann-Whitney)."""
    wins = sum((p > q) + 0.5 * (p == q) for p in positives for q in negatives)
    return wins / (len(positives) * len(negatives))


def quality(encoder_name: str, conversations: int) -> None:
    encoder, calibration, real = encoder_and_calibration(encoder_name)
    if not real:
        print(f"{encoder_name}: no real weights + calibration here; quality not measured")
        return
    rng = np.random.default_rng(0)
    gains, positives, negatives = [], [], []
    for index in range(conversations):
        target, *others = rng.choice(ENGLISH, size=1 + 1 + index % 2, replace=False)
        absent = [s for s in ENGLISH if s not in (target, *others)]
        talk = build(target, list(others), turns=3)

        def run(sample: np.ndarray, talk=talk):
            return extract_speaker(
                talk.mix[None].copy(),
                sample_rate=16000,
                target=sample[None],
                target_sample_rate=16000,
                encoder=encoder,
                calibration=calibration,
            )

        right = run(talk.enrolment)
        before, after = si_sdr(talk.mix, talk.target_only), si_sdr(right.audio[0], talk.target_only)
        gains.append(after - before)
        positives.append(right.similarity_score)
        wrong = [
            run(build(s, [], turns=1).enrolment).similarity_score
            for s in rng.choice(absent, size=2, replace=False)
        ]
        negatives.extend(wrong)
        print(
            f"{target} vs {'+'.join(others)}: SI-SDR {before:.1f} -> {after:.1f} dB, "
            f"score {right.similarity_score:.1f}, non-target {wrong}",
            flush=True,
        )
    print(
        f"| {encoder_name} | {conversations} | {np.mean(gains):.1f} dB (min {min(gains):.1f}) | "
        f"{np.mean(positives):.1f} | {np.mean(negatives):.1f} | {auc(positives, negatives):.3f} |"
    )


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--encoders", nargs="+", default=["ge2e", "ecapa"])
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--conversations", type=int, default=10)
    args = parser.parse_args()
    if args.quality:
        print(
            "| encoder | conversations | SI-SDR improvement | target score | non-target score "
            "| AUC |"
        )
        for name in args.encoders:
            quality(name, args.conversations)
    else:
        speed(args.encoders, args.sizes)


if __name__ == "__main__":
    main()
