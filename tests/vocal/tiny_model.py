"""A small, randomly initialised HTDemucs saved as demucs saves its checkpoints.

It is the released architecture (depth 4, nfft 4096, four sources) shrunk in width, with no
transformer layers and 1 s segments, so a test separates a few seconds in well under a
second. It is loaded by the product's own loader (``get_model(name, repo=...)``).
"""

from __future__ import annotations

from pathlib import Path

import torch
from demucs.htdemucs import HTDemucs
from demucs.states import get_state, save_with_checksum

NAME = "tiny_htdemucs"
SIGNATURE = "0123abcd"
SOURCES = ["drums", "bass", "other", "vocals"]


def tiny_htdemucs() -> HTDemucs:
    torch.manual_seed(0)
    return HTDemucs(sources=SOURCES, audio_channels=2, samplerate=44100, segment=1,
                    channels=8, depth=4, nfft=4096, t_layers=0).eval()


def tiny_demucs_save(models_dir: Path, *, name: str = NAME) -> HTDemucs:
    """Write ``<name>.yaml`` and ``<sig>-<sha256 prefix>.th`` into ``models_dir/demucs``."""
    repo = models_dir / "demucs"
    repo.mkdir(parents=True, exist_ok=True)
    model = tiny_htdemucs()
    args, kwargs = model._init_args_kwargs
    package = {"klass": HTDemucs, "args": args, "kwargs": kwargs,
               "state": get_state(model, None, half=False), "training_args": {}}
    save_with_checksum(package, repo / f"{SIGNATURE}.th")
    (repo / f"{name}.yaml").write_text(f"models: ['{SIGNATURE}']\n")
    return model
