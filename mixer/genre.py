"""Genre of an MFCC matrix (the spec's ``POST /classify-genre``), from a trained model file.

No Django here. The model is a small JSON file written by ``manage.py train_genre``: a
standardiser plus dense layers (a multinomial logistic regression is one softmax layer), so
inference is a few NumPy products and loading never unpickles anything. The file records
the feature parameters it was trained with and a ``modelVersion``; :func:`load_model` reads
it once per process and path. A missing file raises :class:`GenreModelMissing` (which is a
:class:`~audioservices.weights.WeightsMissing`): the service never guesses a genre.

What the classifier sees (:func:`summarise`): per MFCC coefficient over time, the means of
c1..c12, the standard deviations of c0..c12 and the mean absolute frame-to-frame change of
c0..c12. The mean of c0 (overall level) is left out on purpose: with a fixed dB reference a
gain change only shifts c0, so the model cannot learn "loud = rock" from recording levels.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from audioservices.weights import WeightsMissing
from mixer.features import FeatureParams

MODEL_FORMAT = "audioservices.genre/1"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "genre_model" / "genre_model.json"
TRAIN_HINT = (
    "Train it with `python manage.py train_genre ../shared/data/genre --out {path}` "
    "(see README, section Genre) or restore it from the repository."
)

FloatArray = npt.NDArray[np.float64]


class GenreModelMissing(WeightsMissing):
    """The model file is not there; the message says how to make it."""


class GenreModelInvalid(WeightsMissing):
    """The model file exists but is not a model this code can run; from ``load_model`` the
    message says how to make a new one (every path answers it like a missing file: 503)."""


def summarise(mfcc: npt.ArrayLike) -> FloatArray:
    """The fixed-length vector the classifier takes, from an MFCC matrix (frames, coeffs)."""
    matrix = np.asarray(mfcc, dtype=np.float64)
    change = np.abs(np.diff(matrix, axis=0)).mean(axis=0) if len(matrix) > 1 else (
        np.zeros(matrix.shape[1])
    )
    return np.concatenate([matrix[:, 1:].mean(axis=0), matrix.std(axis=0), change])


@dataclass(frozen=True)
class DenseLayer:
    weights: FloatArray  # (inputs, outputs)
    bias: FloatArray  # (outputs,)
    activation: str  # "relu" or "softmax"


@dataclass(frozen=True)
class GenreModel:
    version: str
    classes: tuple[str, ...]
    feature_params: FeatureParams
    mean: FloatArray
    scale: FloatArray
    layers: tuple[DenseLayer, ...]

    @property
    def num_coefficients(self) -> int:
        return self.feature_params.num_coefficients

    def probabilities(self, mfcc: npt.ArrayLike) -> FloatArray:
        """Class probabilities (in ``classes`` order) for one MFCC matrix."""
        return self.probabilities_of_summary(summarise(mfcc))

    def probabilities_of_summary(self, summary: FloatArray) -> FloatArray:
        x = (summary - self.mean) / self.scale
        for layer in self.layers:
            x = x @ layer.weights + layer.bias
            if layer.activation == "relu":
                x = np.maximum(x, 0.0)
        shifted = np.exp(x - x.max())
        return shifted / shifted.sum()

    def to_json(self, *, training: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "modelVersion": self.version,
            "classes": list(self.classes),
            "featureParams": vars(self.feature_params).copy(),
            "standardiser": {"mean": self.mean.tolist(), "scale": self.scale.tolist()},
            "layers": [
                {"weights": layer.weights.tolist(), "bias": layer.bias.tolist(),
                 "activation": layer.activation}
                for layer in self.layers
            ],
            "training": training or {},
        }


def model_from_json(data: dict[str, Any]) -> GenreModel:
    if data.get("format") != MODEL_FORMAT:
        raise GenreModelInvalid(f"not a genre model file (format {data.get('format')!r})")
    try:
        layers = tuple(
            DenseLayer(np.asarray(item["weights"], float), np.asarray(item["bias"], float),
                       item["activation"])
            for item in data["layers"]
        )
        model = GenreModel(
            version=str(data["modelVersion"]),
            classes=tuple(data["classes"]),
            feature_params=FeatureParams(**data["featureParams"]),
            mean=np.asarray(data["standardiser"]["mean"], float),
            scale=np.asarray(data["standardiser"]["scale"], float),
            layers=layers,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GenreModelInvalid(f"genre model file is incomplete: {exc}") from exc
    if layers[-1].weights.shape[1] != len(model.classes) or layers[-1].activation != "softmax":
        raise GenreModelInvalid("genre model's last layer does not match its classes")
    return model


@functools.lru_cache(maxsize=4)
def load_model(path: Path = DEFAULT_MODEL_PATH) -> GenreModel:
    """The model at ``path``, read once per process (an lru_cache keyed by path)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GenreModelMissing(
            f"The genre model file {path} is missing. " + TRAIN_HINT.format(path=path)
        ) from None
    try:
        return model_from_json(json.loads(text))
    except (json.JSONDecodeError, GenreModelInvalid) as exc:
        raise GenreModelInvalid(
            f"The genre model file {path} cannot be used ({exc}). "
            + TRAIN_HINT.format(path=path).replace("Train it", "Train a new one")
        ) from exc


def write_model(model: GenreModel, path: Path, *, training: dict[str, Any]) -> None:
    """Write atomically: a reader never sees half a model."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(model.to_json(training=training), indent=1) + "\n",
                       encoding="utf-8")
    partial.replace(path)
    load_model.cache_clear()


def classify(
    features: npt.ArrayLike, *, return_probabilities: bool, model: GenreModel | None = None
) -> dict[str, Any]:
    """The spec's classify-genre response for an MFCC matrix (frames, coefficients)."""
    model = model or load_model()
    matrix = np.asarray(features, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] == 0 or matrix.shape[1] != model.num_coefficients:
        raise ValueError(f"features must be (frames >= 1, {model.num_coefficients}); "
                         f"got {matrix.shape}")
    probabilities = model.probabilities(matrix)
    first, second = np.argsort(probabilities)[::-1][:2]
    response: dict[str, Any] = {
        "genre": model.classes[first],
        "confidence": float(probabilities[first]),
    }
    if return_probabilities:
        response["probabilities"] = dict(zip(model.classes, map(float, probabilities),
                                             strict=True))
    response["secondaryGenre"] = model.classes[second]
    response["modelVersion"] = model.version
    return response
