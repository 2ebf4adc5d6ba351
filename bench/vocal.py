"""Vocal separation (full-size htdemucs, random weights): real-time factor, peak RSS / GPU memory.

    python bench/vocal.py [--sizes 0.1667 1 10] [--device cuda] [--autocast bf16] [--threads 2]
    python bench/vocal.py --sdr [--models-dir ../shared/models]

Random weights cost exactly what the released ones cost (same architecture, same FLOPs). On a
GPU, ``--autocast`` also separates the first minute in fp32 and prints the vocals' relative
RMS difference (keep autocast only where it is < 1e-3). ``--sdr`` separates the mixtures in
../shared/data/dev/music/stems with the official weights, when MODELS_DIR holds them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from common import RATE, ROOT, long_signal, measure
from demucs.htdemucs import HTDemucs

from vocal import engine

AUTOCAST = {"bf16": torch.bfloat16, "fp16": torch.float16}
STEMS = ROOT.parent / "shared" / "data" / "dev" / "music" / "stems"


def htdemucs_full(device: torch.device) -> HTDemucs:
    """The released htdemucs architecture (41,984,456 parameters), randomly initialised."""
    torch.manual_seed(0)
    model = HTDemucs(sources=["drums", "bass", "other", "vocals"], audio_channels=2,
                     samplerate=RATE, segment=Fraction(39, 5), channels=48, depth=4, nfft=4096,
                     dconv_mode=3, t_layers=5, t_dropout=0.02, bottom_channels=512)
    return model.to(device).eval()


def relative_rms(estimate: np.ndarray, reference: np.ndarray) -> float:
    return float(np.sqrt(np.mean((estimate - reference) ** 2) / np.mean(reference**2)))


def child(minutes: float, device: torch.device, autocast: str) -> dict:
    model = htdemucs_full(device)
    dtype = AUTOCAST.get(autocast)
    cpu_start = time.process_time()  # all threads: the honest figure on a shared machine
    result = measure(lambda audio: engine.separate(audio, sample_rate=RATE, model=model,
                                                   device=device, autocast=dtype), minutes)
    result["cpu_seconds"] = time.process_time() - cpu_start
    if device.type == "cuda":
        result["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
        if dtype is not None:  # the same first minute in fp32 and under autocast
            mix = long_signal(min(minutes, 1.0))
            fp32, _ = engine.separate(mix.copy(), sample_rate=RATE, model=model, device=device)
            mixed, _ = engine.separate(mix, sample_rate=RATE, model=model, device=device,
                                       autocast=dtype)
            result["autocast_rel_rms"] = relative_rms(mixed, fp32)
    return result


def sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    n = min(estimate.shape[1], reference.shape[1])
    estimate, reference = estimate[:, :n].astype(np.float64), reference[:, :n].astype(np.float64)
    return float(10 * np.log10(np.sum(reference**2) / np.sum((reference - estimate) ** 2)))


def vocals_sdr(models_dir: Path, name: str) -> None:
    model = engine.model_load(name=name, models_dir=models_dir)  # WeightsMissing says how
    print("| mixture | vocals SDR dB |\n|---|---|")
    for song in sorted(STEMS.iterdir()):
        mix, rate = sf.read(str(song / "mix.flac"), dtype="float32", always_2d=True)
        reference, _ = sf.read(str(song / "vocals_or_lead.flac"), dtype="float32", always_2d=True)
        vocals, _ = engine.separate(np.ascontiguousarray(mix.T), sample_rate=rate, model=model)
        print(f"| {song.name} | {sdr(vocals, reference.T):.2f} |", flush=True)


def table(args: argparse.Namespace) -> None:
    print("| device | minutes | seconds | x real time | CPU seconds | peak RSS MB | peak GPU MB "
          "| autocast rel RMS |")
    print("|---|---|---|---|---|---|---|---|")
    for minutes in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(minutes), "--device", args.device,
             "--autocast", args.autocast, "--threads", str(args.threads)],
            capture_output=True, text=True, check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        label = args.device + (f"+{args.autocast}" if args.autocast else "")
        print(f"| {label} | {minutes:g} | {r['seconds']:.1f} | {r['rtf']:.2f}x | {r['cpu_seconds']:.1f} | "
              f"{r['peak_rss_mb']:.0f} | {r.get('peak_gpu_mb', 0):.0f} | "
              f"{r.get('autocast_rel_rms', float('nan')):.1e} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[10 / 60, 1, 10])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--autocast", choices=["", *AUTOCAST], default="")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--child", type=float)
    parser.add_argument("--sdr", action="store_true")
    parser.add_argument("--models-dir", type=Path, default=ROOT.parent / "shared" / "models")
    parser.add_argument("--model", default="htdemucs")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.sdr:
        vocals_sdr(args.models_dir, args.model)
    elif args.child is not None:
        print(json.dumps(child(args.child, torch.device(args.device), args.autocast)))
    else:
        table(args)


if __name__ == "__main__":
    main()
