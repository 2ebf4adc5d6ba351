"""Conversations built from real recordings of different speakers in ../shared/data.

Turns alternate between the speakers; every third change of turn overlaps the previous
speaker's last ``overlap_s`` seconds, the others leave a short pause. Levels are evened
(every utterance at the same RMS) so no voice wins by loudness alone. The target-only track
is the same timeline with only the target's turns: the reference for SI-SDR.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.signals import DATA, load_mono

SPEECH = DATA / "speech"
RATE = 16_000


@dataclass
class Conversation:
    mix: np.ndarray  # (n,) float32
    target_only: np.ndarray  # (n,) float32: the target's turns at their places, else zeros
    enrolment: np.ndarray  # (m,) float32: other recordings of the target, not in the mix


def utterances(speaker: str) -> list[Path]:
    return sorted((SPEECH / speaker).glob("*.flac"))


def _even(x: np.ndarray, rms: float = 0.05) -> np.ndarray:
    return (x * rms / np.sqrt(np.mean(x**2))).astype(np.float32)


def build(target: str, others: list[str], *, turns: int = 6, enrolment_utterances: int = 2,
          overlap_s: float = 0.6, pause_s: float = 0.3, rate: int = RATE) -> Conversation:
    """``turns`` turns per speaker, round-robin; the enrolment comes from unused utterances."""
    pools = {s: [_even(load_mono(p, rate)) for p in utterances(s)] for s in [target, *others]}
    enrolment = np.concatenate(pools[target][-enrolment_utterances:])
    pools[target] = pools[target][:-enrolment_utterances]
    order = [s for i in range(turns) for s in [target, *others]]
    placed, cursor = [], 0
    for index, speaker in enumerate(order):
        clip = pools[speaker][index // (1 + len(others)) % len(pools[speaker])]
        start = max(0, cursor - int(overlap_s * rate)) if index % 3 == 2 else cursor
        placed.append((speaker, start, clip))
        cursor = start + clip.size + int(pause_s * rate)
    mix, target_only = np.zeros(cursor, np.float32), np.zeros(cursor, np.float32)
    for speaker, start, clip in placed:
        mix[start : start + clip.size] += clip
        if speaker == target:
            target_only[start : start + clip.size] += clip
    return Conversation(mix, target_only, enrolment)
