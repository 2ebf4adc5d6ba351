"""Train the genre model from a folder of ``<class>/*.{wav,flac,mp3}`` (``manage.py train_genre``).

Plain Python (scikit-learn for fitting; the result is written as JSON weights by
:func:`mixer.genre.write_model`, never pickled). Steps:

1. Every file is decoded with :mod:`audioservices.audio.io`, mixed to mono and resampled to
   the service's 48 kHz, and its MFCCs are computed once with :func:`extract_features`
   (the endpoint's own code and default parameters).
2. The MFCC matrix is cut into windows of :data:`WINDOW_SECONDS` (what the stream helper
   classifies), half-overlapping; a clip shorter than a window is one window.
3. Evaluation splits **by source track** (``<source>__<track>__<k>.flac`` → one track per
   ``<source>__<track>``; any other file is its own track): a stratified group k-fold, so
   every track is held out exactly once and no track is ever on both sides.
4. The reported model is then fitted on all tracks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import sklearn
import soxr
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, classification_report, confusion_matrix
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from audioservices.audio.io import decode
from audioservices.audio.validate import probe
from mixer.features import FeatureParams, extract_features
from mixer.genre import DenseLayer, GenreModel, summarise

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3")
WINDOW_SECONDS = 3.0
MAX_FILE_SECONDS = 600.0
CLASSIFIERS = ("logreg", "mlp")
SEED = 7


@dataclass(frozen=True)
class Clip:
    path: Path
    label: str
    track: str


@dataclass(frozen=True)
class Dataset:
    vectors: npt.NDArray[np.float64]  # (windows, summary features)
    labels: npt.NDArray[np.str_]
    tracks: npt.NDArray[np.str_]
    seconds: dict[str, float]  # audio per class


def track_of(path: Path) -> str:
    """The source track a clip comes from: clips of one track must stay on one side."""
    stem = path.stem
    return f"{path.parent.name}/{stem.rsplit('__', 1)[0] if '__' in stem else stem}"


def find_clips(data_dir: Path) -> list[Clip]:
    clips = [
        Clip(path, path.parent.name, track_of(path))
        for path in sorted(data_dir.glob("*/*"))
        if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file()
    ]
    if not clips:
        raise ValueError(f"no <class>/*.wav|flac|mp3 files under {data_dir}")
    return clips


def extra_clips(spec: str) -> list[Clip]:
    """``DIR=CLASS``: every audio file directly in DIR, labelled CLASS (e.g. genre_extra/)."""
    folder, _, label = spec.rpartition("=")
    if not folder or not label:
        raise ValueError(f"--extra takes DIR=CLASS, got {spec!r}")
    clips = [Clip(path, label, track_of(path)) for path in sorted(Path(folder).glob("*"))
             if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file()]
    if not clips:
        raise ValueError(f"no .wav|flac|mp3 files in {folder}")
    return clips


def load_mono(path: Path, sample_rate: int) -> npt.NDArray[np.float32]:
    info = probe(path, max_duration_s=MAX_FILE_SECONDS)
    audio = decode(path, info=info, max_duration_s=MAX_FILE_SECONDS).mean(axis=0)
    if info.sample_rate != sample_rate:
        audio = soxr.resample(audio, info.sample_rate, sample_rate, quality="HQ")
    return audio.astype(np.float32)


def window_frames(params: FeatureParams) -> int:
    """MFCC frames in one classification window."""
    return params.frame_count(int(WINDOW_SECONDS * params.sample_rate))


def clip_vectors(mfcc: npt.NDArray[np.float32], frames: int) -> list[npt.NDArray[np.float64]]:
    if len(mfcc) <= frames:
        return [summarise(mfcc)]
    starts = range(0, len(mfcc) - frames + 1, frames // 2)
    return [summarise(mfcc[start : start + frames]) for start in starts]


def build_dataset(clips: Iterable[Clip], params: FeatureParams,
                  log: Callable[[str], None]) -> Dataset:
    vectors, labels, tracks, seconds = [], [], [], Counter()
    frames = window_frames(params)
    for clip in clips:
        audio = load_mono(clip.path, params.sample_rate)
        if audio.size < params.fft_size:
            log(f"skipped {clip.path} (shorter than one FFT frame)")
            continue
        for vector in clip_vectors(extract_features(audio, params=params).mfcc, frames):
            vectors.append(vector)
            labels.append(clip.label)
            tracks.append(clip.track)
        seconds[clip.label] += audio.size / params.sample_rate
    return Dataset(np.array(vectors), np.array(labels), np.array(tracks), dict(seconds))


def make_classifier(kind: str) -> Pipeline:
    if kind == "logreg":
        model = LogisticRegression(C=0.1, class_weight="balanced", max_iter=5000)
    elif kind == "mlp":
        model = MLPClassifier(hidden_layer_sizes=(32,), alpha=1.0, max_iter=3000,
                              random_state=SEED)
    else:
        raise ValueError(f"classifier must be one of {CLASSIFIERS}")
    return make_pipeline(StandardScaler(), model)


def held_out_predictions(data: Dataset, kind: str, folds: int) -> npt.NDArray[np.str_]:
    """Each window predicted by a model that never saw its track."""
    track_counts = Counter(track_label for track_label in set(zip(data.tracks, data.labels,
                                                                   strict=True)))
    per_class = Counter(label for _, label in track_counts)
    thin = [label for label, count in per_class.items() if count < 2]
    if thin:
        raise ValueError(f"classes with a single source track cannot be split by track: {thin}")
    splitter = StratifiedGroupKFold(n_splits=min(folds, min(per_class.values())),
                                    shuffle=True, random_state=SEED)
    predicted = np.empty_like(data.labels)
    for train, test in splitter.split(data.vectors, data.labels, groups=data.tracks):
        fitted = make_classifier(kind).fit(data.vectors[train], data.labels[train])
        predicted[test] = fitted.predict(data.vectors[test])
    return predicted


def evaluation_report(data: Dataset, predicted: npt.NDArray[np.str_]) -> str:
    classes = sorted(set(data.labels))
    matrix = confusion_matrix(data.labels, predicted, labels=classes)
    width = max(map(len, classes)) + 2
    rows = ["confusion matrix (rows = true, columns = predicted; windows):",
            " " * width + "".join(f"{name:>{width}}" for name in classes)]
    rows += [f"{name:<{width}}" + "".join(f"{n:>{width}}" for n in row)
             for name, row in zip(classes, matrix, strict=True)]
    report = classification_report(data.labels, predicted, labels=classes, digits=3,
                                   zero_division=0)
    return report + "\n" + "\n".join(rows)


def data_summary(data: Dataset) -> str:
    lines = ["class        tracks  windows  seconds"]
    for label in sorted(set(data.labels)):
        mask = data.labels == label
        lines.append(f"{label:<12} {len(set(data.tracks[mask])):>6} {int(mask.sum()):>8} "
                     f"{data.seconds[label]:>8.0f}")
    return "\n".join(lines)


def _output_layer(weights: npt.NDArray[np.float64], bias: npt.NDArray[np.float64]) -> DenseLayer:
    if weights.shape[1] == 1:  # two classes: sigmoid(z) == softmax([-z/2, z/2])
        weights, bias = np.hstack([-weights, weights]) / 2, np.concatenate([-bias, bias]) / 2
    return DenseLayer(weights, bias, "softmax")


def to_genre_model(pipeline: Pipeline, *, version: str, params: FeatureParams) -> GenreModel:
    scaler, estimator = pipeline[0], pipeline[-1]
    if isinstance(estimator, LogisticRegression):
        layers = (_output_layer(estimator.coef_.T, estimator.intercept_),)
    else:
        hidden = [DenseLayer(w, b, "relu")
                  for w, b in zip(estimator.coefs_[:-1], estimator.intercepts_[:-1], strict=True)]
        layers = (*hidden, _output_layer(estimator.coefs_[-1], estimator.intercepts_[-1]))
    return GenreModel(version=version, classes=tuple(str(c) for c in estimator.classes_),
                      feature_params=params, mean=scaler.mean_, scale=scaler.scale_,
                      layers=layers)


def training_metadata(data: Dataset, kind: str, folds: int, accuracy: float) -> dict[str, object]:
    return {
        "trainedAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "classifier": kind,
        "windowSeconds": WINDOW_SECONDS,
        "windows": len(data.labels),
        "tracksPerClass": {label: len(set(data.tracks[data.labels == label]))
                           for label in sorted(set(data.labels))},
        "heldOutByTrackFolds": folds,
        "heldOutBalancedAccuracy": round(accuracy, 4),
        "scikitLearn": sklearn.__version__,
    }


@dataclass(frozen=True)
class TrainingOutcome:
    model: GenreModel
    report: str  # data summary, held-out per-class figures and confusion matrix
    metadata: dict[str, object]


def train(clips: list[Clip], *, kind: str, folds: int, version: str,
          log: Callable[[str], None] = print) -> TrainingOutcome:
    params = FeatureParams()  # the endpoint's defaults: what /classify-genre receives
    log(f"extracting features of {len(clips)} files ...")
    data = build_dataset(clips, params, log)
    predicted = held_out_predictions(data, kind, folds)
    accuracy = balanced_accuracy_score(data.labels, predicted)
    report = "\n\n".join([
        data_summary(data),
        f"held out by source track ({folds}-fold stratified group split), classifier {kind}, "
        f"balanced accuracy {accuracy:.3f}:",
        evaluation_report(data, predicted),
    ])
    fitted = make_classifier(kind).fit(data.vectors, data.labels)
    model = to_genre_model(fitted, version=version, params=params)
    return TrainingOutcome(model, report, training_metadata(data, kind, folds, accuracy))
