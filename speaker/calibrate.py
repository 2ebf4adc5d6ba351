"""Fit the cosine -> 0-100 maps on real recordings (used by ``manage.py calibrate_speaker``).

One folder per speaker (``../shared/data/dev/speech/<speaker>/*.flac``). Every utterance is
reduced to its speech (Silero VAD) and embedded as 1.6 s windows once. Enrolments are pairs
of a speaker's utterances (what a user uploads as the target sample); they are compared with
the speaker's other utterances (same) and every other speaker's utterances (different):
whole utterances for the "utterance" map, single windows for the "window" map.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import soundfile as sf
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from speaker import engine
from speaker.encoders import SpeakerEncoder
from speaker.vad import speech_regions

ENROLMENTS_PER_SPEAKER = 4
WINDOWS_PER_UTTERANCE = 3


@dataclass
class Utterance:
    speaker: str
    windows: np.ndarray  # (k, dim) unit embeddings of its speech

    @property
    def embedding(self) -> np.ndarray:
        return engine.unit(self.windows.mean(axis=0))


def load_16k(path: Path) -> np.ndarray:
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return engine.analysis_signal(audio.T, sample_rate=rate)


def embed_corpus(folder: Path, encoder: SpeakerEncoder, log=print) -> list[Utterance]:
    utterances = []
    for speaker_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(speaker_dir.glob("*.flac")):
            wav = load_16k(path)
            speech = engine.speech_only(wav, speech_regions(wav))
            if speech.size < engine.WINDOW // 2:
                continue
            starts = engine.window_starts([(0, speech.size)], speech.size)
            utterances.append(Utterance(speaker_dir.name, engine.embed_windows(encoder, speech, starts)))
        log(f"embedded {speaker_dir.name}")
    return utterances


def scored_pairs(utterances: list[Utterance], seed: int = 0) -> dict[str, tuple[list, list]]:
    """(cosines, same-speaker labels) per scale, for enrolment pairs vs. other utterances."""
    rng = np.random.default_rng(seed)
    pairs: dict[str, tuple[list, list]] = {"utterance": ([], []), "window": ([], [])}
    by_speaker: dict[str, list[int]] = {}
    for index, utt in enumerate(utterances):
        by_speaker.setdefault(utt.speaker, []).append(index)
    for indices in by_speaker.values():
        enrolments = list(combinations(indices, 2))
        for pick in rng.permutation(len(enrolments))[:ENROLMENTS_PER_SPEAKER]:
            enrolled = enrolments[pick]
            reference = engine.unit(np.concatenate([utterances[i].windows for i in enrolled]
                                                    ).mean(axis=0))
            for index, utt in enumerate(utterances):
                if index in enrolled:
                    continue
                same = utt.speaker == utterances[enrolled[0]].speaker
                pairs["utterance"][0].append(float(utt.embedding @ reference))
                pairs["utterance"][1].append(same)
                chosen = rng.permutation(len(utt.windows))[:WINDOWS_PER_UTTERANCE]
                for window in utt.windows[chosen]:
                    pairs["window"][0].append(float(window @ reference))
                    pairs["window"][1].append(same)
    return pairs


def fit_map(cosines: list[float], same: list[bool]) -> dict:
    x, y = np.asarray(cosines)[:, None], np.asarray(same)
    model = LogisticRegression(class_weight="balanced").fit(x, y)
    prob = model.predict_proba(x)[:, 1]
    return {
        "slope": round(float(model.coef_[0, 0]), 4),
        "intercept": round(float(model.intercept_[0]), 4),
        "pairs_same": int(y.sum()), "pairs_different": int((~y).sum()),
        "auc": round(float(roc_auc_score(y, x[:, 0])), 4),
        "mean_score_same": round(100 * float(prob[y].mean()), 1),
        "mean_score_different": round(100 * float(prob[~y].mean()), 1),
        "cosine_same_mean": round(float(x[y].mean()), 4),
        "cosine_different_mean": round(float(x[~y].mean()), 4),
    }


def fit(folder: Path, encoder: SpeakerEncoder, log=print) -> dict:
    utterances = embed_corpus(folder, encoder, log=log)
    pairs = scored_pairs(utterances)
    return {scale: fit_map(*pairs[scale]) for scale in ("utterance", "window")}
