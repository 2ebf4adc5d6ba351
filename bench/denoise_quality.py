"""Denoise quality: SI-SDR, PESQ (wideband) and STOI of the input and of each engine's output.

Real speech (one utterance from each of the first N English speakers) mixed with real noise
recordings at 0, 5 and 10 dB SNR, at 16 kHz (what wideband PESQ scores). Prints one table:
per engine and SNR the mean scores, then the averages over the SNRs with the gains over the
input, and names the engine that best meets the goal (PESQ gain >= 0.8, SI-SDR gain >= 8 dB).

    python bench/denoise_quality.py [--speakers 4] [--noises 4] [--engines dfn3 rnnoise ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from common import ROOT  # noqa: F401 (puts the project on sys.path)
from pesq import pesq
from pystoi import stoi
from scipy.signal import butter, sosfiltfilt

from denoise.engine import ENGINE_NAMES, denoise
from tests import signals

RATE = 16000
SNRS = (0, 5, 10)
NOISES = ("water_running_tap", "street_traffic", "babble_8talkers_constructed",
          "machine_exercise_bike", "wind_looped", "kitchen_dishes", "hiss_vinyl")
GOAL_PESQ_GAIN, GOAL_SI_SDR_GAIN = 0.8, 8.0


# The "clean" recordings carry some rumble (up to a quarter of one speaker's energy is below
# 80 Hz) that every denoiser rightly removes; left in the reference it would count as
# damage. Speech has next to nothing there, so references and mixes are high-passed first.
HIGH_PASS = butter(4, 80, btype="highpass", fs=RATE, output="sos")


def utterances(count: int) -> list[np.ndarray]:
    speakers = sorted(p for p in (signals.DATA / "speech").glob("en_*") if p.is_dir())[:count]
    return [sosfiltfilt(HIGH_PASS, signals.load_mono(sorted(s.glob("*.flac"))[2], RATE))
            .astype(np.float32) for s in speakers]


def noise_like(name: str, length: int) -> np.ndarray:
    recorded = signals.load_mono(signals.DATA / "noise" / f"{name}.flac", RATE)
    return np.tile(recorded, length // recorded.size + 1)[:length]


def scores(estimate: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    return {"si_sdr": signals.si_sdr(estimate, clean),
            "pesq": pesq(RATE, clean, estimate, "wb"),
            "stoi": stoi(clean, estimate, RATE, extended=False)}


def evaluate(engines: list[str], speakers: int, noises: int) -> dict:
    results: dict = {}  # (engine, snr) -> list of score dicts; "input" is the noisy mix
    seconds: dict[str, float] = {e: 0.0 for e in engines}
    audio_s = 0.0
    for clean in utterances(speakers):
        for name in NOISES[:noises]:
            noise = noise_like(name, clean.size)
            for snr in SNRS:
                noisy = signals.mix_at_snr(clean, noise, snr)
                results.setdefault(("input", snr), []).append(scores(noisy, clean))
                audio_s += clean.size / RATE
                for engine in engines:
                    start = time.perf_counter()
                    out = denoise(noisy[None, :].copy(), sample_rate=RATE, model=engine)[0]
                    seconds[engine] += time.perf_counter() - start
                    results.setdefault((engine, snr), []).append(scores(out, clean))
    rtf = {e: audio_s / s for e, s in seconds.items()}
    return {"results": results, "rtf": rtf}


def mean(rows: list[dict], key: str) -> float:
    return float(np.mean([r[key] for r in rows]))


def table(engines: list[str], evaluated: dict) -> str:
    results, rtf = evaluated["results"], evaluated["rtf"]
    lines = ["| engine | SNR dB | SI-SDR dB | PESQ wb | STOI | x real time |", "|---|---|---|---|---|---|"]
    for engine in ["input", *engines]:
        for snr in SNRS:
            rows = results[(engine, snr)]
            speed = f"{rtf[engine]:.1f}x" if engine in rtf else ""
            lines.append(f"| {engine} | {snr} | {mean(rows, 'si_sdr'):.2f} | "
                         f"{mean(rows, 'pesq'):.2f} | {mean(rows, 'stoi'):.3f} | {speed} |")
    lines += ["", "| engine | mean SI-SDR gain dB | mean PESQ gain | mean STOI gain | meets goal |",
              "|---|---|---|---|---|"]
    for engine in engines:
        gains = summary_gains(results, engine)
        meets = gains["pesq"] >= GOAL_PESQ_GAIN and gains["si_sdr"] >= GOAL_SI_SDR_GAIN
        lines.append(f"| {engine} | {gains['si_sdr']:+.2f} | {gains['pesq']:+.2f} | "
                     f"{gains['stoi']:+.3f} | {'yes' if meets else 'no'} |")
    return "\n".join(lines)


def summary_gains(results: dict, engine: str) -> dict[str, float]:
    return {key: float(np.mean([mean(results[(engine, snr)], key) - mean(results[("input", snr)], key)
                                for snr in SNRS]))
            for key in ("si_sdr", "pesq", "stoi")}


def recommended(engines: list[str], results: dict) -> str:
    def rank(engine: str) -> tuple:
        gains = summary_gains(results, engine)
        meets = gains["pesq"] >= GOAL_PESQ_GAIN and gains["si_sdr"] >= GOAL_SI_SDR_GAIN
        return (meets, gains["pesq"], gains["si_sdr"])

    return max(engines, key=rank)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--speakers", type=int, default=4)
    parser.add_argument("--noises", type=int, default=4)
    parser.add_argument("--engines", nargs="+", default=list(ENGINE_NAMES), choices=ENGINE_NAMES)
    args = parser.parse_args()
    if not Path(signals.DATA).is_dir():
        raise SystemExit(f"needs the recordings in {signals.DATA}")
    evaluated = evaluate(args.engines, args.speakers, args.noises)
    print(f"{args.speakers} utterances x {args.noises} noises x {len(SNRS)} SNRs, {RATE} Hz mono")
    print(table(args.engines, evaluated))
    print(f"\nrecommended DENOISE_ENGINE: {recommended(args.engines, evaluated['results'])}")


if __name__ == "__main__":
    main()
