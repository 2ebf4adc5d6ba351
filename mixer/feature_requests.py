"""Validate the JSON bodies of ``POST /extract-features`` and ``POST /classify-genre``.

Plain Python: the views hand over the parsed JSON ``dict`` and turn a
:class:`FeatureRequestError` into the spec's error body (``code``, ``message``, ``details``,
HTTP 400). Unknown fields are ignored. Booleans are not numbers here (JSON ``true`` is not 1).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import numpy.typing as npt

from mixer.features import WINDOWS, FeatureParams

INVALID_BUFFER_SIZE = "INVALID_BUFFER_SIZE"
INVALID_SAMPLE_RATE = "INVALID_SAMPLE_RATE"
MISSING_FEATURES = "MISSING_FEATURES"
INVALID_PARAMETER = "INVALID_PARAMETER"

MAX_BUFFER_SECONDS = 60  # longest audioBuffer accepted, at its sample rate
MAX_FEATURE_FRAMES = 6000  # a little over 60 s at the default 512-sample hop
MODEL_COEFFICIENTS = 13  # the shipped genre model's MFCC count (the spec's default)
SAMPLE_RATES = (8000, 192000)
FFT_SIZES = tuple(2**k for k in range(6, 15))  # 64 ... 16384
MAX_FILTERS = 128


class FeatureRequestError(ValueError):
    """A bad request body: ``code`` and ``message`` as in the spec, ``details`` for clients."""

    status = 400

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _integer(body: dict[str, Any], field: str, default: int, low: int, high: int) -> int:
    value = body.get(field, default)
    if not _is_number(value) or value != int(value) or not low <= value <= high:
        raise FeatureRequestError(
            INVALID_PARAMETER,
            f"{field} must be an integer from {low} to {high}.",
            {"field": field, "received": value, "minimum": low, "maximum": high},
        )
    return int(value)


def _number_array(value: object, field: str, ndim: int) -> npt.NDArray[np.float32]:
    """``value`` as a float32 array of ``ndim`` dimensions; only finite numbers pass."""
    shape_hint = "an array of numbers" if ndim == 1 else "an array of arrays of numbers"
    try:
        array = np.array(value)
    except (TypeError, ValueError):
        array = None  # ragged rows
    # Kinds i/u/f only: strings, booleans, None and objects are refused, not coerced.
    if array is None or array.ndim != ndim or array.dtype.kind not in "iuf":
        raise FeatureRequestError(INVALID_PARAMETER, f"{field} must be {shape_hint}.",
                                  {"field": field})
    with np.errstate(over="ignore"):
        array32 = array.astype(np.float32)  # beyond float32 becomes inf, refused below
    if not np.isfinite(array32).all():
        bad = int(np.count_nonzero(~np.isfinite(array32)))
        raise FeatureRequestError(
            INVALID_PARAMETER,
            f"{field} contains {bad} non-finite or out-of-range values (NaN, infinity, "
            "or beyond float32).",
            {"field": field, "nonFiniteCount": bad},
        )
    return array32


def _extract_params(body: dict[str, Any]) -> FeatureParams:
    rate = body.get("sampleRate", 48000)
    if not _is_number(rate) or rate != int(rate) or not SAMPLE_RATES[0] <= rate <= SAMPLE_RATES[1]:
        raise FeatureRequestError(
            INVALID_SAMPLE_RATE,
            f"sampleRate must be an integer from {SAMPLE_RATES[0]} to {SAMPLE_RATES[1]} Hz "
            "(default 48000).",
            {"field": "sampleRate", "received": rate},
        )
    fft_size = body.get("fftSize", 2048)
    if fft_size not in FFT_SIZES or isinstance(fft_size, bool):
        raise FeatureRequestError(
            INVALID_PARAMETER, f"fftSize must be a power of two from {FFT_SIZES[0]} to "
            f"{FFT_SIZES[-1]}.", {"field": "fftSize", "received": fft_size})
    num_filters = _integer(body, "numFilters", 40, 1, MAX_FILTERS)
    window = body.get("windowType", "hann")
    if window not in WINDOWS:
        raise FeatureRequestError(
            INVALID_PARAMETER, f"windowType must be one of {', '.join(WINDOWS)}.",
            {"field": "windowType", "received": window, "allowed": list(WINDOWS)})
    return FeatureParams(
        sample_rate=int(rate),
        num_coefficients=_integer(body, "numCoefficients", 13, 1, num_filters),
        num_filters=num_filters,
        fft_size=int(fft_size),
        hop_size=_integer(body, "hopSize", 512, 1, int(fft_size)),
        window_type=window,
    )


def parse_extract_request(body: object) -> tuple[npt.NDArray[np.float32], FeatureParams]:
    """The samples and parameters of an extract-features body, or FeatureRequestError."""
    if not isinstance(body, dict):
        raise FeatureRequestError(INVALID_PARAMETER, "The request body must be a JSON object.")
    params = _extract_params(body)
    if body.get("audioBuffer") is None:
        raise FeatureRequestError(
            INVALID_BUFFER_SIZE, f"audioBuffer is required: at least fftSize ({params.fft_size}) "
            "samples.", {"field": "audioBuffer", "minimum": params.fft_size})
    samples = _number_array(body["audioBuffer"], "audioBuffer", 1)
    limit = MAX_BUFFER_SECONDS * params.sample_rate
    if not params.fft_size <= samples.size <= limit:
        raise FeatureRequestError(
            INVALID_BUFFER_SIZE,
            f"audioBuffer has {samples.size} samples; it needs at least one FFT frame "
            f"(fftSize = {params.fft_size} samples) and at most {MAX_BUFFER_SECONDS} s "
            f"({limit} samples at {params.sample_rate} Hz).",
            {"field": "audioBuffer", "received": int(samples.size),
             "minimum": params.fft_size, "maximum": limit},
        )
    return samples, params


def parse_classify_request(
    body: object, *, num_coefficients: int = MODEL_COEFFICIENTS
) -> tuple[npt.NDArray[np.float32], bool]:
    """The MFCC matrix (frames, coefficients) and returnProbabilities of a classify body."""
    if not isinstance(body, dict):
        raise FeatureRequestError(INVALID_PARAMETER, "The request body must be a JSON object.")
    raw = body.get("features")
    if raw is None or (isinstance(raw, list) and len(raw) == 0):
        raise FeatureRequestError(
            MISSING_FEATURES, "features is required: the MFCC matrix [frames][coefficients] "
            "from /extract-features.", {"field": "features"})
    features = _number_array(raw, "features", 2)
    if features.shape[1] != num_coefficients:
        raise FeatureRequestError(
            INVALID_PARAMETER,
            f"features rows have {features.shape[1]} coefficients; the model needs "
            f"{num_coefficients} (numCoefficients = {num_coefficients} in /extract-features).",
            {"field": "features", "received": int(features.shape[1]),
             "expected": num_coefficients})
    if features.shape[0] > MAX_FEATURE_FRAMES:
        raise FeatureRequestError(
            INVALID_PARAMETER, f"features has {features.shape[0]} frames; at most "
            f"{MAX_FEATURE_FRAMES} are accepted.", {"field": "features",
                                                    "maximum": MAX_FEATURE_FRAMES})
    flag = body.get("returnProbabilities", False)
    if not isinstance(flag, bool):
        raise FeatureRequestError(INVALID_PARAMETER, "returnProbabilities must be true or false.",
                                  {"field": "returnProbabilities", "received": flag})
    return features, flag

