"""Vocals and instrumental from a mix with Demucs v4, for files of any length, in bounded memory.

``apply_model`` on a whole file would hold all four stems for its full length (an hour of
stereo: about 5 GB). We feed it windows of WINDOW_S seconds that overlap by OVERLAP_S, keep
only the vocals of each, and crossfade the windows linearly; demucs splits each window into
its own 7.8 s segments. ``separate_into`` reads the windows from any reader (an array, or a
temporary file) and appends the vocals, window by window, to any writer, so a job never
holds more than one window of audio; ``separate`` is the same on arrays. The instrumental is
mix - vocals, so the two outputs add up to the input to float precision.

Each window is resampled to the model's rate (44.1 kHz) and its channels paired for the
model's stereo input (a lone channel is doubled), then the vocals go back to the input's rate
and channel count. On a GPU the segments of a window run as one batch, optionally under
bf16/fp16 autocast. Plain Python: no Django, no Celery.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soxr
import torch
from demucs.apply import BagOfModels, apply_model
from demucs.pretrained import get_model
from demucs.repo import ModelLoadingError

from audioservices import weights
from audioservices.audio.blocks import ArrayBlocks, ArrayWriter, AudioReader, AudioWriter
from audioservices.audio.errors import NO_AUDIO, InvalidAudio
from audioservices.audio.validate import valid_audio
from vocal.segments import apply_batched, segment_count
from vocal.weights import demucs_weights, repo_path

# demucs splits a window into 7.8 s segments every 5.85 s (25 % overlap), the last one mostly
# padding: a window of exactly 11 strides costs the 11 segments a 60 s one did, and covers
# more, so an hour needs 667 segments instead of 720 (-7 %), at the same memory.
WINDOW_S = 11 * 5.85
OVERLAP_S = 5.0
GPU_BATCH = 8  # segments of 7.8 s per forward pass on a GPU
VOCALS = "vocals"
STAT_BLOCK = 1 << 20
Progress = Callable[[float], None]
LOAD_FAILED = (
    "Demucs model '{name}' could not be loaded from {repo}: {error}. "
    + weights.FETCH_HINT.format(name="demucs")
    + " (use --force to replace a damaged file)."
)


class UnsuitableModel(ValueError):
    """The configured model has no vocals stem or is not a Demucs model."""


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_load(*, name: str, models_dir: Path, device: torch.device | None = None):
    """The Demucs model ``name`` from MODELS_DIR/demucs, loaded once per process and device.

    Raises WeightsMissing, naming the missing files and the command that fetches them.
    """
    weights.require(demucs_weights(name), models_dir=models_dir)
    repo = repo_path(models_dir)
    if not repo.is_dir():  # demucs would call sys.exit() for a missing repo folder
        raise weights.WeightsMissing(
            LOAD_FAILED.format(name=name, repo=repo, error="no such folder")
        )
    return _model_cached(name, repo, str(device or default_device()))


@functools.lru_cache(maxsize=2)
def _model_cached(name: str, repo: Path, device: str):
    try:
        model = get_model(name, repo=repo)
    except ModelLoadingError as exc:
        raise weights.WeightsMissing(LOAD_FAILED.format(name=name, repo=repo, error=exc)) from exc
    if VOCALS not in getattr(model, "sources", ()):
        raise UnsuitableModel(f"Demucs model '{name}' has no '{VOCALS}' stem.")
    return model.to(device).eval()


def window_bounds(length: int, *, window: int, overlap: int) -> list[tuple[int, int]]:
    """[start, stop) windows covering ``length``; neighbours share exactly ``overlap`` samples."""
    bounds, start = [], 0
    while True:
        stop = min(start + window, length)
        bounds.append((start, stop))
        if stop == length:
            return bounds
        start = stop - overlap


def crossfade(size: int, *, fade_in: int, fade_out: int) -> np.ndarray:
    """A window's weight: linear ramps where it overlaps its neighbours, which sum to one."""
    weight = np.ones(size, dtype=np.float32)
    if fade_in:
        weight[:fade_in] = (np.arange(fade_in, dtype=np.float32) + 0.5) / fade_in
    if fade_out:
        weight[size - fade_out :] *= 1 - (np.arange(fade_out, dtype=np.float32) + 0.5) / fade_out
    return weight


def channel_pairs(channels: int) -> list[list[int]]:
    """The model takes stereo: channels go in pairs, a lone last channel on its own."""
    return [list(range(c, min(c + 2, channels))) for c in range(0, channels, 2)]


def channel_stats(source: AudioReader, pairs: list[list[int]]) -> list[tuple[float, float]]:
    """Mean and deviation of each pair's mono sum, in one blockwise pass (demucs normalises
    the whole track, so the stats come first). Expects validated input: ``separate`` checks
    its array, and a job's blocks are checked as they are decoded."""
    totals = np.zeros((len(pairs), 2))
    for start in range(0, source.frames, STAT_BLOCK):
        block = source.read(start, start + STAT_BLOCK)
        for number, rows in enumerate(pairs):
            mono = block[rows].mean(axis=0, dtype=np.float64)
            totals[number] += mono.sum(), np.square(mono).sum()
    stats = []
    for total, squares in totals / source.frames:
        stats.append((total, float(np.sqrt(max(squares - total**2, 0.0)))))
    return stats


class _Progress:
    """Fractions of the whole job from (unit done, fraction of the current unit); monotonic."""

    def __init__(self, units: int, report: Progress | None) -> None:
        self.units, self.report, self.done, self.last = units, report, 0, 0.0

    def within(self, fraction: float) -> None:
        value = min(1.0, (self.done + min(fraction, 1.0)) / self.units)
        if self.report and value > self.last:
            self.last = value
            self.report(value)

    def unit_done(self) -> None:
        self.done += 1
        self.within(0.0)


def _model_input(window: np.ndarray, *, sample_rate: int, model_rate: int) -> torch.Tensor:
    stereo = window if window.shape[0] == 2 else np.repeat(window, 2, axis=0)
    if sample_rate != model_rate:
        stereo = soxr.resample(stereo.T, sample_rate, model_rate).T
    return torch.from_numpy(np.ascontiguousarray(stereo, dtype=np.float32))


def _back_to_input(
    vocals: np.ndarray, *, channels: int, size: int, sample_rate: int, model_rate: int
) -> np.ndarray:
    if sample_rate != model_rate:
        vocals = soxr.resample(vocals.T, model_rate, sample_rate).T
    vocals = vocals[:, :size]
    if vocals.shape[1] < size:  # resampling can round a sample short
        vocals = np.pad(vocals, ((0, 0), (0, size - vocals.shape[1])))
    return vocals.mean(axis=0, keepdims=True) if channels == 1 else vocals


def _vocals_of(
    model,
    mix: torch.Tensor,
    *,
    device: torch.device,
    batch: int,
    autocast: torch.dtype | None,
    within: Progress,
) -> np.ndarray:
    """(2, n) mix at the model's rate -> (2, n) vocals, with demucs's segment overlap."""
    index = model.sources.index(VOCALS)
    if device.type == "cuda" and batch > 1:
        stems = apply_batched(
            model, mix, device=device, batch=batch, autocast=autocast, progress=within
        )
        return stems[index].numpy()
    segments = segment_count(model, mix.shape[-1])
    seen = [0]

    def on_segment(state: dict) -> None:
        if state["state"] == "end":
            seen[0] += 1
            within(seen[0] / segments)

    with torch.inference_mode():
        stems = apply_model(
            model, mix[None], shifts=0, split=True, overlap=0.25, device=device, callback=on_segment
        )
    return stems[0, index].numpy()


def _window_vocals(
    model,
    mix: np.ndarray,
    *,
    pairs: list[list[int]],
    stats: list[tuple[float, float]],
    weight: np.ndarray,
    sample_rate: int,
    device: torch.device,
    gpu_batch: int,
    autocast: torch.dtype | None,
    tracker: _Progress,
) -> np.ndarray:
    """The weighted vocals of one window of (channels, n) ``mix``, pair by pair."""
    vocals = np.empty(mix.shape, dtype=np.float32)
    for rows, (mean, std) in zip(pairs, stats, strict=True):
        scale = std if std > 1e-8 else 1.0
        normalised = mix[rows] - np.float32(mean)  # a copy: ``mix`` may be a reader's buffer
        normalised /= np.float32(scale)
        estimate = _vocals_of(
            model,
            _model_input(normalised, sample_rate=sample_rate, model_rate=model.samplerate),
            device=device,
            batch=gpu_batch,
            autocast=autocast,
            within=tracker.within,
        )
        estimate = _back_to_input(
            estimate,
            channels=len(rows),
            size=mix.shape[1],
            sample_rate=sample_rate,
            model_rate=model.samplerate,
        )
        vocals[rows] = estimate * (weight * scale)
        tracker.unit_done()
    return vocals


def separate_into(
    *,
    source: AudioReader,
    vocals: AudioWriter,
    sample_rate: int,
    model: torch.nn.Module | BagOfModels,
    progress: Progress | None = None,
    window_s: float = WINDOW_S,
    overlap_s: float = OVERLAP_S,
    device: torch.device | None = None,
    gpu_batch: int = GPU_BATCH,
    autocast: torch.dtype | None = None,
) -> None:
    """Append the vocals of ``source`` (float32, at ``sample_rate``) to ``vocals``, in order.

    Memory: one window of input and vocals plus one overlap carried to the next window,
    whatever the length. ``autocast`` (torch.bfloat16 / torch.float16) applies on a GPU only.
    """
    if source.frames == 0 or source.channels == 0:
        raise InvalidAudio(NO_AUDIO)
    device = device or next(model.parameters()).device
    window, overlap = int(window_s * sample_rate), int(overlap_s * sample_rate)
    if not 0 <= 2 * overlap < window:
        raise ValueError(f"windows of {window_s} s cannot overlap by {overlap_s} s on both sides")
    pairs = channel_pairs(source.channels)
    stats = channel_stats(source, pairs)
    bounds = window_bounds(source.frames, window=window, overlap=overlap)
    tracker = _Progress(len(bounds) * len(pairs), progress)
    carried = None  # the previous window's faded-out tail, to add to this window's head
    for number, (start, stop) in enumerate(bounds):
        last = stop == source.frames
        weight = crossfade(
            stop - start, fade_in=overlap if number else 0, fade_out=0 if last else overlap
        )
        window_vocals = _window_vocals(
            model,
            source.read(start, stop),
            pairs=pairs,
            stats=stats,
            weight=weight,
            sample_rate=sample_rate,
            device=device,
            gpu_batch=gpu_batch,
            autocast=autocast,
            tracker=tracker,
        )
        if carried is not None:
            window_vocals[:, :overlap] += carried
        finished = stop - start if last else stop - start - overlap
        vocals.append(window_vocals[:, :finished])
        carried = window_vocals[:, finished:].copy()


def separate(
    audio: np.ndarray,
    *,
    sample_rate: int,
    model: torch.nn.Module | BagOfModels,
    progress: Progress | None = None,
    window_s: float = WINDOW_S,
    overlap_s: float = OVERLAP_S,
    device: torch.device | None = None,
    gpu_batch: int = GPU_BATCH,
    autocast: torch.dtype | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(vocals, instrumental) of (channels, samples) float32 ``audio`` at ``sample_rate``:
    ``separate_into`` on arrays.

    The instrumental IS ``audio``, overwritten with mix - vocals (saves a full-length copy).
    """
    audio = valid_audio(audio)
    vocals = np.empty_like(audio)
    separate_into(
        source=ArrayBlocks(audio),
        vocals=ArrayWriter(vocals),
        sample_rate=sample_rate,
        model=model,
        progress=progress,
        window_s=window_s,
        overlap_s=overlap_s,
        device=device,
        gpu_batch=gpu_batch,
        autocast=autocast,
    )
    np.subtract(audio, vocals, out=audio)
    return vocals, audio
