"""Genre "auto" for ``/process-audio``: classify a stream from its most recent audio.

Each 960-sample frame is fed to :func:`genre_stream_update` with the stream's
:class:`GenreStreamState`. The state keeps no audio beyond one FFT frame: it keeps the MFCC
rows of the last :data:`WINDOW_SECONDS` (3 s = 278 rows at the model's 48 kHz, 2048/512
parameters) and the samples not yet framed, so the rows are exactly those of the whole
stream (see :mod:`mixer.features`). ``to_json``/``from_json`` give a JSON-safe dict (about
28 kB), so the state can live in Redis between requests.

* Until 3 s of audio have arrived the answer is ``(None, None)``.
* Then the window is classified, and again every :data:`RECLASSIFY_SECONDS` (0.5 s, every 25
  frames); between those the last answer is repeated, so a frame costs a classification at
  most once every 25 frames.
* ``changed`` is true when a classification names a different genre from the previous one,
  including the first detection: the caller fires ``genre.detected`` then.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from mixer.features import extract_features
from mixer.genre import GenreModel, classify

WINDOW_SECONDS = 3.0
RECLASSIFY_SECONDS = 0.5

F32 = npt.NDArray[np.float32]


def _empty(columns: int = 0) -> F32:
    return np.zeros((0, columns) if columns else 0, dtype=np.float32)


@dataclass(frozen=True)
class GenreStreamState:
    pending: F32 = field(default_factory=_empty)  # samples from the next frame's start
    mfcc: F32 = field(default_factory=lambda: _empty(1))  # recent rows (frames, coeffs)
    samples_seen: int = 0
    samples_at_last_result: int = 0
    genre: str | None = None
    confidence: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "pending": base64.b64encode(self.pending.tobytes()).decode("ascii"),
            "mfcc": base64.b64encode(self.mfcc.tobytes()).decode("ascii"),
            "coefficients": int(self.mfcc.shape[1]),
            "samplesSeen": self.samples_seen,
            "samplesAtLastResult": self.samples_at_last_result,
            "genre": self.genre,
            "confidence": self.confidence,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GenreStreamState:
        rows = np.frombuffer(base64.b64decode(data["mfcc"]), dtype=np.float32)
        return cls(
            pending=np.frombuffer(base64.b64decode(data["pending"]), dtype=np.float32).copy(),
            mfcc=rows.reshape(-1, int(data["coefficients"])).copy(),
            samples_seen=int(data["samplesSeen"]),
            samples_at_last_result=int(data["samplesAtLastResult"]),
            genre=data["genre"],
            confidence=data["confidence"],
        )


@dataclass(frozen=True)
class GenreStreamUpdate:
    state: GenreStreamState
    genre: str | None
    confidence: float | None
    changed: bool


def _append_rows(state: GenreStreamState, frame: F32, model: GenreModel) -> GenreStreamState:
    params = model.feature_params
    pending = np.concatenate([state.pending, np.asarray(frame, dtype=np.float32)])
    count = params.frame_count(pending.size)
    if count == 0:
        return replace(state, pending=pending)
    rows = extract_features(pending, params=params).mfcc
    keep = params.frame_count(int(WINDOW_SECONDS * params.sample_rate))
    mfcc = rows if state.mfcc.shape[0] == 0 else np.vstack([state.mfcc, rows])
    return replace(state, pending=pending[count * params.hop_size :], mfcc=mfcc[-keep:])


def genre_stream_update(
    state: GenreStreamState, frame: npt.ArrayLike, *, model: GenreModel
) -> GenreStreamUpdate:
    """Add one frame of the stream (48 kHz mono) and say its genre when there is enough."""
    samples = np.asarray(frame, dtype=np.float32).ravel()
    state = _append_rows(state, samples, model)
    state = replace(state, samples_seen=state.samples_seen + samples.size)
    rate = model.feature_params.sample_rate
    full = state.samples_seen >= WINDOW_SECONDS * rate
    due = state.genre is None or (
        state.samples_seen - state.samples_at_last_result >= RECLASSIFY_SECONDS * rate
    )
    if not (full and due):
        return GenreStreamUpdate(state, state.genre, state.confidence, changed=False)
    result = classify(state.mfcc, return_probabilities=False, model=model)
    changed = result["genre"] != state.genre
    state = replace(state, genre=result["genre"], confidence=result["confidence"],
                    samples_at_last_result=state.samples_seen)
    return GenreStreamUpdate(state, state.genre, state.confidence, changed=changed)
