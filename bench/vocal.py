"""Vocal separation (full-size htdemucs, random weights): real-time factor, peak RSS / GPU memory.

    python bench/vocal.py [--sizes 0.1667 1 10] [--device cuda] [--autocast bf16] [--threads 2]
    python bench/vocal.py --sdr [--models-dir ../shared/models]
    python bench/vocal.py --memory-minutes 60 [--model-size passthrough|tiny|full] [--path stream|array]

``--memory-minutes`` writes an N-minute stereo 44.1 kHz WAV (16 bit, as an upload would be)
and runs, in a fresh process, what the vocal job runs on it: decode -> separate -> encode
both stems (+ the waveform envelopes). ``--path stream`` is the job's path (temporary files,
window by window); ``--path array`` is the former in-memory path (decode whole, separate in
place, encode from arrays): it only calls functions that also exist in the code before the
streaming change, so the same script measures the old code in an old checkout. With
``--model-size passthrough`` (no compute; an hour through even the tiny test model takes
over 8 CPU minutes) the peak is the pipeline's own memory; ``full`` minus ``passthrough`` on
the same short input is the full model's working set.

Random weights cost exactly what the released ones cost (same architecture, same FLOPs). On a
GPU, ``--autocast`` also separates the first minute in fp32 and prints the vocals' relative
RMS difference (keep autocast only where it is < 1e-3). ``--sdr`` separates the mixtures in
../shared/data/dev/music/stems with the official weights, when MODELS_DIR holds them.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from common import RATE, ROOT, child_result, long_signal, measure
from demucs.htdemucs import HTDemucs

from tests import signals
from vocal import engine

AUTOCAST = {"bf16": torch.bfloat16, "fp16": torch.float16}
MAX_DURATION_S = 4 * 3600.0  # past the service's hour: the bench measures longer files too
STEMS = signals.DATA / "music" / "stems"


def htdemucs_full(device: torch.device) -> HTDemucs:
    """The released htdemucs architecture (41,984,456 parameters), randomly initialised."""
    torch.manual_seed(0)
    model = HTDemucs(
        sources=["drums", "bass", "other", "vocals"],
        audio_channels=2,
        samplerate=RATE,
        segment=Fraction(39, 5),
        channels=48,
        depth=4,
        nfft=4096,
        dconv_mode=3,
        t_layers=5,
        t_dropout=0.02,
        bottom_channels=512,
    )
    return model.to(device).eval()


class Passthrough(torch.nn.Module):
    """Shaped like htdemucs for ``apply_model`` (rate, sources, 7.8 s segments) but each stem
    is a quarter of the mix: the pipeline's own memory and time, without a model's compute
    (an hour through even the tiny test model takes over 8 CPU minutes here)."""

    def __init__(self) -> None:
        super().__init__()
        self.samplerate, self.audio_channels, self.segment = RATE, 2, Fraction(39, 5)
        self.sources = ["drums", "bass", "other", "vocals"]
        self.scale = torch.nn.Parameter(torch.tensor(0.25))

    def forward(self, mix: torch.Tensor) -> torch.Tensor:
        return self.scale * mix[:, None].repeat(1, len(self.sources), 1, 1)


def model_of_size(size: str, device: torch.device) -> torch.nn.Module:
    if size == "full":
        return htdemucs_full(device)
    if size == "passthrough":
        return Passthrough().to(device).eval()
    from tests.vocal.tiny_model import tiny_htdemucs

    return tiny_htdemucs().to(device)


def write_long_wav(path: Path, minutes: float) -> None:
    """An N-minute 16-bit stereo WAV, written a minute at a time (never whole in memory)."""
    minute = long_signal(1.0)
    frames = int(minutes * 60 * RATE)
    with sf.SoundFile(str(path), "w", samplerate=RATE, channels=2, subtype="PCM_16") as out:
        for start in range(0, frames, minute.shape[1]):
            out.write(minute[:, : min(minute.shape[1], frames - start)].T)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _stream_pipeline(source_path: Path, out_dir: Path, model, info) -> None:
    """The streaming vocal job's sequence (jobs.tasks + vocal.tasks), without the database."""
    from audioservices.audio import io, waveform
    from audioservices.audio.blocks import Difference, RawAudio

    with (
        RawAudio(channels=info.channels, directory=out_dir) as source,
        RawAudio(channels=info.channels, directory=out_dir) as vocals,
    ):
        io.decode_into(source_path, source, info=info, max_duration_s=MAX_DURATION_S)
        waveform.envelope_of(source)
        engine.separate_into(
            source=source, vocals=vocals, sample_rate=info.sample_rate, model=model
        )
        for name, stem in (("vocals", vocals), ("instrumental", Difference(source, vocals))):
            io.encode_blocks(
                out_dir / f"{name}.wav",
                stem,
                sample_rate=info.sample_rate,
                fmt="wav",
                subtype=info.subtype,
            )


def _array_pipeline(source_path: Path, out_dir: Path, model, info) -> None:
    """The former in-memory vocal job: decode whole, separate in place, encode arrays."""
    from audioservices.audio import io, waveform

    audio = io.decode(source_path, info=info, max_duration_s=MAX_DURATION_S)
    waveform.envelope(audio)
    vocals, instrumental = engine.separate(audio, sample_rate=info.sample_rate, model=model)
    for name, stem in (("vocals", vocals), ("instrumental", instrumental)):
        io.encode(
            out_dir / f"{name}.wav",
            stem,
            sample_rate=info.sample_rate,
            fmt="wav",
            subtype=info.subtype,
        )
        waveform.envelope(stem)


def memory_child(source_path: Path, size: str, path: str) -> dict:
    from audioservices.audio.validate import probe

    model = model_of_size(size, torch.device("cpu"))
    rss_with_model = rss_mb()
    info = probe(source_path, max_duration_s=MAX_DURATION_S)
    pipeline = _stream_pipeline if path == "stream" else _array_pipeline
    start, cpu_start = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="vocal-bench-") as out_dir:
        pipeline(source_path, Path(out_dir), model, info)
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,
        "rss_with_model_mb": rss_with_model,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "audio_mb": info.duration * info.sample_rate * info.channels * 4 / 2**20,
    }


def memory_table(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="vocal-bench-") as folder:
        source = Path(folder) / "input.wav"
        write_long_wav(source, args.memory_minutes)
        r = child_result(
            [
                __file__,
                "--memory-child",
                str(source),
                "--model-size",
                args.model_size,
                "--path",
                args.path,
                "--threads",
                str(args.threads),
            ]
        )
    print(
        "| path | model | minutes | peak RSS MB | RSS with model, before the job MB | audio MB "
        "| CPU s | seconds |\n|---|---|---|---|---|---|---|---|"
    )
    print(
        f"| {args.path} | {args.model_size} | {args.memory_minutes:g} | {r['peak_rss_mb']:.0f} | "
        f"{r['rss_with_model_mb']:.0f} | {r['audio_mb']:.0f} | {r['cpu_seconds']:.1f} | "
        f"{r['seconds']:.1f} |",
        flush=True,
    )


def relative_rms(estimate: np.ndarray, reference: np.ndarray) -> float:
    return float(np.sqrt(np.mean((estimate - reference) ** 2) / np.mean(reference**2)))


def child(minutes: float, device: torch.device, autocast: str) -> dict:
    model = htdemucs_full(device)
    dtype = AUTOCAST.get(autocast)
    # measure() times the job apart from a first call on one second of audio; its "cpu_s"
    # (all threads) is the honest figure on a shared machine. With more torch threads than
    # free cores, OpenMP's spinning threads add CPU time that does no work.
    result = measure(
        lambda audio: engine.separate(
            audio, sample_rate=RATE, model=model, device=device, autocast=dtype
        ),
        minutes,
    )
    if device.type == "cuda":
        result["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
        if dtype is not None:  # the same first minute in fp32 and under autocast
            mix = long_signal(min(minutes, 1.0))
            fp32, _ = engine.separate(mix.copy(), sample_rate=RATE, model=model, device=device)
            mixed, _ = engine.separate(
                mix, sample_rate=RATE, model=model, device=device, autocast=dtype
            )
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
    print(
        "| device | threads | minutes | seconds | x real time | CPU s | CPU s per audio s "
        "| peak RSS MB | peak GPU MB | autocast rel RMS |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for minutes in args.sizes:
        r = child_result(
            [
                __file__,
                "--child",
                str(minutes),
                "--device",
                args.device,
                "--autocast",
                args.autocast,
                "--threads",
                str(args.threads),
            ]
        )
        label = args.device + (f"+{args.autocast}" if args.autocast else "")
        print(
            f"| {label} | {args.threads} | {minutes:g} | {r['seconds']:.1f} | {r['rtf']:.2f}x | "
            f"{r['cpu_s']:.1f} | {r['cpu_s'] / (minutes * 60):.2f} | "
            f"{r['peak_rss_mb']:.0f} | {r.get('peak_gpu_mb', 0):.0f} | "
            f"{r.get('autocast_rel_rms', float('nan')):.1e} |",
            flush=True,
        )


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
    parser.add_argument("--memory-minutes", type=float)
    parser.add_argument("--model-size", choices=["tiny", "full", "passthrough"], default="tiny")
    parser.add_argument("--path", choices=["stream", "array"], default="stream")
    parser.add_argument("--memory-child", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_child is not None:
        print(json.dumps(memory_child(args.memory_child, args.model_size, args.path)))
    elif args.memory_minutes is not None:
        memory_table(args)
    elif args.sdr:
        vocals_sdr(args.models_dir, args.model)
    elif args.child is not None:
        print(json.dumps(child(args.child, torch.device(args.device), args.autocast)))
    else:
        table(args)


if __name__ == "__main__":
    main()
