"""JSON in and out of the mixer views with orjson: a 960-sample frame parses about 9x and
renders about 25x faster than with the standard library (bench/mixer_profile.py).

The answers are the same JSON values: numpy arrays are written directly
(``OPT_SERIALIZE_NUMPY``; a float32 array as the shortest decimals that read back as the same
float32 values, so a frame is about 11 KB instead of 20 KB), anything orjson cannot write
goes through DRF's own encoder. A body orjson refuses is parsed again by DRF's parser, so
what the standard library accepts (``1e400`` as infinity, which the view then refuses as
``NON_FINITE_SAMPLES``) and the error messages of malformed bodies stay exactly as before.
``?indent`` in the Accept header is not supported: answers are always compact.
"""

from __future__ import annotations

import io
from typing import Any

import orjson
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
_fallback_encoder = JSONEncoder()


class OrjsonParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        body = stream.read() if stream is not None else b""
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:  # the standard parser decides, with its messages
            return super().parse(io.BytesIO(body), media_type, parser_context)


def dumps(data: Any) -> bytes:
    """``data`` as compact JSON (numpy arrays written directly)."""
    return orjson.dumps(data, default=_fallback_encoder.default, option=_OPTIONS)


class OrjsonRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps(data)
