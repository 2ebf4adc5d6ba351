"""demucs's split/overlap-add, with the segments of a window run as batches (for GPUs).

``apply_model(split=True)`` runs its 7.8 s segments one by one: right on a CPU, but a GPU
sits mostly idle. Here the same segments (same offsets, same triangular weights, same
centring of the short last one) go through ``apply_model(split=False)`` ``batch`` at a
time, so the result equals demucs's own to float precision (tested on the CPU).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext

import torch
from demucs.apply import BagOfModels, TensorChunk, apply_model
from demucs.utils import center_trim

OVERLAP = 0.25  # demucs's default


def _segment_samples(model) -> int:
    models = model.models if isinstance(model, BagOfModels) else [model]
    return int(model.samplerate * min(float(m.segment) for m in models))


def segment_count(model, length: int) -> int:
    """How many segment passes demucs makes over ``length`` samples (all models of a bag)."""
    models = model.models if isinstance(model, BagOfModels) else [model]
    stride = int((1 - OVERLAP) * _segment_samples(model))
    return len(range(0, length, stride)) * len(models)


def _triangle(size: int) -> torch.Tensor:
    weight = torch.cat([torch.arange(1, size // 2 + 1), torch.arange(size - size // 2, 0, -1)])
    return weight / weight.max()


def apply_batched(
    model,
    mix: torch.Tensor,
    *,
    device: torch.device,
    batch: int,
    autocast: torch.dtype | None = None,
    progress: Callable[[float], None] | None = None,
) -> torch.Tensor:
    """(channels, n) mix -> (sources, channels, n) on the CPU, as float32."""
    size = _segment_samples(model)
    length = mix.shape[-1]
    offsets = list(range(0, length, int((1 - OVERLAP) * size)))
    weight = _triangle(size)
    out = torch.zeros(len(model.sources), mix.shape[0], length)
    total = torch.zeros(length)
    use_autocast = autocast is not None and device.type == "cuda"
    for first in range(0, len(offsets), batch):
        group = offsets[first : first + batch]
        chunks = torch.stack([TensorChunk(mix, offset, size).padded(size) for offset in group])
        context = torch.autocast(device.type, dtype=autocast) if use_autocast else nullcontext()
        with torch.inference_mode(), context:
            stems = apply_model(model, chunks.to(device), shifts=0, split=False, device=device)
        stems = stems.float().cpu()
        for row, offset in enumerate(group):
            kept = min(size, length - offset)
            out[..., offset : offset + kept] += weight[:kept] * center_trim(stems[row], kept)
            total[offset : offset + kept] += weight[:kept]
        if progress:
            progress((first + len(group)) / len(offsets))
    return out / total
