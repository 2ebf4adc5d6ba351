"""Speaker encoders behind one small interface: fixed-length 16 kHz windows in, unit vectors out.

Two real encoders: GE2E (the LSTM that the ``resemblyzer`` wheel carries, offline) and
SpeechBrain's ECAPA-TDNN (``speechbrain/spkrec-ecapa-voxceleb``, loaded with SpeechBrain's own
``EncoderClassifier.from_hparams`` from MODELS_DIR). No Django here: engines and benchmarks
load them directly. Each loads once per process (``load_encoder`` is cached). torch is
imported only when an encoder is used: the web process registers the ECAPA weights from this
module and should not pay for torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from audioservices import weights

SAMPLE_RATE = 16_000
ECAPA_DIR = "speechbrain/spkrec-ecapa-voxceleb"
ECAPA_FILES = (
    "hyperparams.yaml",
    "embedding_model.ckpt",
    "mean_var_norm_emb.ckpt",
    "classifier.ckpt",
    "label_encoder.txt",
)
ECAPA_URL = "https://huggingface.co/speechbrain/spkrec-ecapa-voxceleb/resolve/main/{name}"
ENCODER_CHOICES = ("auto", "ecapa", "ge2e")
WINDOW = int(1.6 * SAMPLE_RATE)  # GE2E's 160 frames of 10 ms; ECAPA takes the same
BATCH = 64
# Resemblyzer's training level: its features are mel *power*, so the level matters.
GE2E_LEVEL_DBFS = -30.0


class SpeakerEncoder(Protocol):
    name: str

    def embed_at(self, wav: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Embeddings of the WINDOW-long windows of 16 kHz mono ``wav`` beginning at
        ``starts`` (samples; ``wav`` at least WINDOW long) -> (k, dim) float32 unit rows."""
        ...


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class Ge2eEncoder:
    """Resemblyzer's GE2E: 40-band log-mel frames -> 3-layer LSTM -> 256-d unit vector."""

    name = "ge2e"

    def __init__(self, device: str = "cpu") -> None:
        from resemblyzer import VoiceEncoder

        self.model = VoiceEncoder(device, verbose=False)
        self.device = device

    def embed_at(self, wav: np.ndarray, starts: np.ndarray) -> np.ndarray:
        import torch
        from resemblyzer.audio import wav_to_mel_spectrogram
        from resemblyzer.hparams import mel_window_step, partials_n_frames

        # One mel of the whole signal, sliced: windows overlap, so this saves most of the work.
        mel = wav_to_mel_spectrogram(wav)
        hop = SAMPLE_RATE * mel_window_step // 1000
        frames = (starts // hop)[:, None] + np.arange(partials_n_frames)
        windows = mel[np.minimum(frames, len(mel) - 1)]
        # Each window to Resemblyzer's level (power scales with the square of the gain).
        power = np.array([np.mean(wav[s : s + WINDOW] ** 2) for s in starts]) + 1e-10
        windows *= (10 ** (GE2E_LEVEL_DBFS / 10) / power)[:, None, None].astype(np.float32)
        out = []
        with torch.inference_mode():
            for i in range(0, len(windows), BATCH):
                batch = torch.from_numpy(np.ascontiguousarray(windows[i : i + BATCH]))
                out.append(self.model(batch.to(self.device)).cpu())
        return _unit_rows(torch.cat(out).numpy())


class EcapaEncoder:
    """SpeechBrain ECAPA-TDNN (VoxCeleb): 80-band fbank -> 192-d x-vector."""

    name = "ecapa"

    def __init__(self, model_dir: Path, device: str = "cpu") -> None:
        from speechbrain.inference.classifiers import EncoderClassifier

        # The published hyperparams.yaml points its checkpoints at <pretrained_path>, a Hub
        # name; overriding it with the local folder keeps loading offline (paths must be
        # absolute, or SpeechBrain resolves them against the Hub again).
        self.model = EncoderClassifier.from_hparams(
            source=str(model_dir.resolve()),
            savedir=str(model_dir.resolve().parent / "spkrec-ecapa-voxceleb-loaded"),
            overrides={"pretrained_path": str(model_dir.resolve())},
            run_opts={"device": device},
        )
        self.model.eval()

    def embed_at(self, wav: np.ndarray, starts: np.ndarray) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for i in range(0, len(starts), BATCH):
                windows = np.stack([wav[s : s + WINDOW] for s in starts[i : i + BATCH]])
                out.append(self.model.encode_batch(torch.from_numpy(windows)).squeeze(1).cpu())
        return _unit_rows(torch.cat(out).numpy())


def ecapa_weights() -> weights.ModelWeights:
    files = tuple(
        weights.WeightFile(path=f"{ECAPA_DIR}/{name}", url=ECAPA_URL.format(name=name))
        for name in ECAPA_FILES
    )
    return weights.ModelWeights(name="ecapa", files=files)


def ecapa_present(models_dir: Path) -> bool:
    return not weights.missing_files(ecapa_weights(), models_dir=models_dir)


def resolve_encoder_name(choice: str, *, models_dir: Path) -> str:
    """``auto``: ECAPA when its weights are in MODELS_DIR and its score calibration has been
    fitted (``calibrate_speaker --encoder ecapa``), else GE2E (always available)."""
    from speaker.calibration import is_calibrated

    if choice not in ENCODER_CHOICES:
        raise ValueError(f"SPEAKER_ENCODER must be one of {ENCODER_CHOICES}, not {choice!r}")
    if choice == "auto":
        return "ecapa" if ecapa_present(models_dir) and is_calibrated("ecapa") else "ge2e"
    return choice


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """torch's intra-op thread count set to ``count`` for the block, then restored."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=4)
def load_encoder(name: str, *, models_dir: Path) -> SpeakerEncoder:
    """The named encoder, loaded once per process; WeightsMissing says how to fetch ECAPA."""
    if name == "ge2e":
        return Ge2eEncoder(_device())
    weights.require(ecapa_weights(), models_dir=models_dir)
    return EcapaEncoder(models_dir / ECAPA_DIR, _device())
