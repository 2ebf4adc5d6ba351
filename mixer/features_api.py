"""``POST /extract-features`` and ``POST /classify-genre`` (spec 003), thin views over
mixer.features, mixer.feature_requests and mixer.genre."""

from __future__ import annotations

from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response

from mixer import errors
from mixer.api import JSON_IN_OUT, MixerApi
from mixer.feature_requests import (
    FeatureRequestError,
    parse_classify_request,
    parse_extract_request,
)
from mixer.features import extract_features
from mixer.genre import classify, load_model


def _bad_request(exc: FeatureRequestError) -> errors.MixerError:
    return errors.MixerError(exc.code, exc.message, details=exc.details, status_code=exc.status)


class ExtractFeaturesApi(MixerApi):
    endpoint = "/extract-features"
    # Up to 60 s of audio as JSON numbers (~20 bytes each at 48 kHz: about 58 MB).
    max_body_bytes: ClassVar[int] = 64 * 1024 * 1024

    @JSON_IN_OUT
    def post(self, request: Request) -> Response:
        try:
            samples, params = parse_extract_request(request.data)
        except FeatureRequestError as exc:
            raise _bad_request(exc) from None
        return Response(extract_features(samples, params=params).as_json())


class ClassifyGenreApi(MixerApi):
    endpoint = "/classify-genre"
    max_body_bytes: ClassVar[int] = 16 * 1024 * 1024

    @JSON_IN_OUT
    def post(self, request: Request) -> Response:
        model = load_model()  # missing file: 503 SERVICE_UNAVAILABLE saying how to train it
        try:
            features, with_probabilities = parse_classify_request(
                request.data, num_coefficients=model.num_coefficients)
        except FeatureRequestError as exc:
            raise _bad_request(exc) from None
        result = classify(features, return_probabilities=with_probabilities, model=model)
        request._request.mixer_genre = result["genre"]
        return Response(result)
