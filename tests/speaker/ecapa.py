"""A randomly initialised ECAPA-TDNN written in SpeechBrain's published layout.

Same yaml structure and classes as ``speechbrain/spkrec-ecapa-voxceleb`` (its
``pretrained_path`` is overridden at load time, as for the real files); the channel sizes
are parameters so tests can use a small model and the benchmark the published size.
"""

from __future__ import annotations

from pathlib import Path

import torch
from hyperpyyaml import load_hyperpyyaml

from speaker.encoders import ECAPA_DIR

PUBLISHED_CHANNELS = (1024, 1024, 1024, 1024, 3072)

HPARAMS = """\
n_mels: 80
pretrained_path: speechbrain/spkrec-ecapa-voxceleb
out_n_neurons: {speakers}
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: {channels}
    kernel_sizes: [5, 3, 3, 3, 1]
    dilations: [1, 2, 3, 4, 1]
    attention_channels: {attention}
    lin_neurons: 192
classifier: !new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 192
    out_neurons: !ref <out_n_neurons>
mean_var_norm_emb: !new:speechbrain.processing.features.InputNormalization
    norm_type: global
    std_norm: False
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
    mean_var_norm_emb: !ref <mean_var_norm_emb>
    classifier: !ref <classifier>
label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
        mean_var_norm_emb: !ref <mean_var_norm_emb>
        classifier: !ref <classifier>
        label_encoder: !ref <label_encoder>
    paths:
        embedding_model: !ref <pretrained_path>/embedding_model.ckpt
        mean_var_norm_emb: !ref <pretrained_path>/mean_var_norm_emb.ckpt
        classifier: !ref <pretrained_path>/classifier.ckpt
        label_encoder: !ref <pretrained_path>/label_encoder.txt
"""


def write_random_ecapa(models_dir: Path, *, channels: tuple[int, ...] = (64, 64, 64, 64, 192),
                       speakers: int = 8, seed: int = 0) -> Path:
    folder = models_dir / ECAPA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    text = HPARAMS.format(channels=list(channels), speakers=speakers,
                          attention=128 if channels == PUBLISHED_CHANNELS else 16)
    (folder / "hyperparams.yaml").write_text(text)
    torch.manual_seed(seed)
    hparams = load_hyperpyyaml(text)
    torch.save(hparams["embedding_model"].state_dict(), folder / "embedding_model.ckpt")
    torch.save(hparams["classifier"].state_dict(), folder / "classifier.ckpt")
    norm = hparams["mean_var_norm_emb"]
    norm(torch.randn(4, 1, 192), torch.ones(4))  # global statistics need one update
    norm._save(folder / "mean_var_norm_emb.ckpt")
    labels = hparams["label_encoder"]
    labels.update_from_iterable([f"id{i:05d}" for i in range(speakers)])
    labels.save(folder / "label_encoder.txt")
    return folder
