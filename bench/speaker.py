"""Speaker extraction: speed (real-time factor, peak RSS) and quality (SI-SDR, score AUC).

    python bench/speaker.py --sizes 1 10 [--encoders ge2e ecapa]   # speed
    python bench/speaker.py --quality [--conversations 10]          # quality (GE2E)
    python bench/speaker.py --overlap-mask    # VoiceFilter-Lite's mask (pip install it first)

Speed input: a real conversation (three speakers from ../shared/data, overlapping turns)
tiled to length, 44.1 kHz stereo. Each (encoder, size) runs in its own process, so peak RSS
is that run's. ECAPA runs with randomly initialised weights of the published size when the
real ones are not in MODELS_DIR: its speed is real, its quality would be meaningless, so
quality is measured for GE2E only (and for ECAPA when its real weights and calibration exist).

Quality: per conversation, the right target's enrolment (recordings not in the mix) gives the
SI-SDR of the output against the target-only track; the score for the right target and for
two speakers absent from the conversation give the target-vs-non-target AUC.

Overlap mask: the same conversations through VoiceFilter-Lite (``open-voicefilter-lite``, not a
dependency: it was measured and not enabled, see README), enrolled on the same sample.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import ROOT, child_result

from speaker.calibration import Calibration, LogisticMap, is_calibrated, load_calibration
from speaker.encoders import ecapa_present, load_encoder
from speaker.engine import extract_speaker
from tests.signals import si_sdr
from tests.speaker.conversation import Conversation, build
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
            r = child_result([__file__, "--child", name, str(minutes)])
            print(
                f"| {name} | {minutes:g} | {r['seconds']:.1f} | {r['rtf']:.1f}x | "
                f"{r['cpu_seconds']:.1f} | {r['cpu_rtf']:.1f}x | {r['peak_rss_mb']:.0f} |",
                flush=True,
            )


def auc(positives: list[float], negatives: list[float]) -> float:
    """P(a target's score > a non-target's), ties counting half (Mann-Whitney)."""
    wins = sum((p > q) + 0.5 * (p == q) for p in positives for q in negatives)
    return wins / (len(positives) * len(negatives))


@dataclass
class Case:
    """One quality conversation: the right target's talk and two absent speakers' samples."""

    name: str
    talk: Conversation
    wrong_samples: list[np.ndarray]


def cases(count: int) -> Iterator[Case]:
    """The quality conversations, always the same ones (seeded)."""
    rng = np.random.default_rng(0)
    for index in range(count):
        target, *others = rng.choice(ENGLISH, size=1 + 1 + index % 2, replace=False)
        absent = [s for s in ENGLISH if s not in (target, *others)]
        talk = build(target, list(others), turns=3)
        wrong = [build(s, [], turns=1).enrolment for s in rng.choice(absent, 2, replace=False)]
        yield Case(f"{target} vs {'+'.join(others)}", talk, wrong)


def extract_16k(talk: Conversation, sample: np.ndarray, encoder, calibration):
    return extract_speaker(
        talk.mix[None].copy(),
        sample_rate=16000,
        target=sample[None],
        target_sample_rate=16000,
        encoder=encoder,
        calibration=calibration,
    )


def quality(encoder_name: str, conversations: int) -> None:
    encoder, calibration, real = encoder_and_calibration(encoder_name)
    if not real:
        print(f"{encoder_name}: no real weights + calibration here; quality not measured")
        return
    gains, positives, negatives = [], [], []
    for case in cases(conversations):
        talk = case.talk
        right = extract_16k(talk, talk.enrolment, encoder, calibration)
        before, after = si_sdr(talk.mix, talk.target_only), si_sdr(right.audio[0], talk.target_only)
        gains.append(after - before)
        positives.append(right.similarity_score)
        wrong = [
            extract_16k(talk, sample, encoder, calibration).similarity_score
            for sample in case.wrong_samples
        ]
        negatives.extend(wrong)
        print(
            f"{case.name}: SI-SDR {before:.1f} -> {after:.1f} dB, "
            f"score {right.similarity_score:.1f}, non-target {wrong}",
            flush=True,
        )
    print(
        f"| {encoder_name} | {conversations} | {np.mean(gains):.1f} dB (min {min(gains):.1f}) | "
        f"{np.mean(positives):.1f} | {np.mean(negatives):.1f} | {auc(positives, negatives):.3f} |"
    )


def voicefilter(audio: np.ndarray, enrolment: np.ndarray) -> tuple[np.ndarray, float]:
    """VoiceFilter-Lite's output for 16 kHz ``audio`` (its delay removed) and its CPU seconds."""
    from voicefilter_lite import StreamingVoiceFilter

    cpu = time.process_time()
    model = StreamingVoiceFilter()
    model.set_enrollment(enrolment)
    hop = model.hop_length
    delay = model._audio_buf_len - model._L * hop  # the newest hop it returns lags the input
    padded = np.zeros(-(-(audio.size + delay) // hop) * hop, np.float32)
    padded[: audio.size] = audio
    out = np.concatenate([model.step(padded[i : i + hop]) for i in range(0, padded.size, hop)])
    return out[delay : delay + audio.size], time.process_time() - cpu


def voiced(track: np.ndarray, frame: int = 160) -> np.ndarray:
    """Per sample: does ``track`` hold any sound in its 10 ms frame."""
    frames = np.abs(np.pad(track, (0, -track.size % frame))).reshape(-1, frame).max(axis=1)
    return np.repeat(frames > 1e-4, frame)[: track.size]


def overlap_mask(conversations: int) -> None:
    """SI-SDR improvement with VoiceFilter-Lite's mask on the kept regions, on the oracle
    overlaps inside them only, and alone on the mix (``pip install open-voicefilter-lite``)."""
    encoder, calibration, _ = encoder_and_calibration("ge2e")
    gains, cpu, seconds = [], 0.0, 0.0
    for case in cases(conversations):
        talk = case.talk
        kept = extract_16k(talk, talk.enrolment, encoder, calibration).audio[0]
        masked, cpu_kept = voicefilter(kept, talk.enrolment)
        alone, cpu_mix = voicefilter(talk.mix, talk.enrolment)
        cpu, seconds = cpu + cpu_kept + cpu_mix, seconds + 2 * talk.mix.size / 16000
        overlap = voiced(talk.target_only) & voiced(talk.mix - talk.target_only) & (kept != 0)
        outputs = [kept, masked, np.where(overlap, masked, kept), alone]
        before = si_sdr(talk.mix, talk.target_only)
        gains.append([si_sdr(out, talk.target_only) - before for out in outputs])
        print(
            f"{case.name}: "
            + ", ".join(f"{g:.1f}" for g in gains[-1])
            + f" dB ({overlap.sum() / 16000:.1f} s overlapped and kept)",
            flush=True,
        )
    print("| | engine | + mask on kept regions | + mask on oracle overlaps | mask alone |")
    mean, low = np.mean(gains, axis=0), np.min(gains, axis=0)
    print(
        "| SI-SDR improvement, mean (min) | "
        + " | ".join(f"{m:.1f} dB ({lo:.1f})" for m, lo in zip(mean, low, strict=True))
        + " |"
    )
    print(f"VoiceFilter-Lite: {cpu / seconds:.3f} CPU s per second of audio")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10])
    parser.add_argument("--encoders", nargs="+", default=["ge2e", "ecapa"])
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--overlap-mask", action="store_true")
    parser.add_argument("--conversations", type=int, default=10)
    args = parser.parse_args()
    if args.overlap_mask:
        overlap_mask(args.conversations)
    elif args.quality:
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
