"""Request bodies of the mixer endpoints, checked field by field into MixerErrors."""

from __future__ import annotations

from typing import Any

import numpy as np

from mixer import dsp, errors, streams
from mixer.errors import MixerError
from mixer.presets import GENRES
from mixer.processing import AUTO

_NUMBER_TYPES = frozenset({float, int})  # exact types: a JSON boolean (bool) is not a number


def body_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise MixerError(errors.INVALID_JSON, "The body must be a JSON object.")
    return data


def frame_from(value: Any) -> np.ndarray:
    """``audioBuffer``: exactly FRAME_SIZE finite numbers (JSON booleans are not numbers)."""
    if not isinstance(value, list) or not _NUMBER_TYPES.issuperset(map(type, value)):
        raise MixerError(errors.INVALID_BUFFER,
                         f"audioBuffer is required: an array of {dsp.FRAME_SIZE} numbers.")
    if len(value) != dsp.FRAME_SIZE:
        raise MixerError(errors.INVALID_BUFFER_SIZE,
                         f"Audio buffer size must be {dsp.FRAME_SIZE} samples.",
                         details={"expected": dsp.FRAME_SIZE, "received": len(value)})
    try:
        return dsp.valid_frame(value)
    except dsp.FrameError as exc:
        raise MixerError(errors.NON_FINITE_SAMPLES, str(exc)) from None


def sample_rate_check(value: Any) -> None:
    """An optional ``sampleRate`` must be the chain's rate (the spec's INVALID_SAMPLE_RATE)."""
    if value is not None and value != dsp.SAMPLE_RATE:
        raise MixerError(errors.INVALID_SAMPLE_RATE,
                         f"Sample rate must be {dsp.SAMPLE_RATE} Hz.",
                         details={"expected": dsp.SAMPLE_RATE, "received": value})


def stream_id_from(header: str | None, body: dict[str, Any]) -> str | None:
    """The ``X-Stream-Id`` header's value, else the body's ``streamId``; validated."""
    value = header or body.get("streamId")
    if value is None:
        return None
    if not isinstance(value, str) or not streams.STREAM_ID.match(value):
        raise MixerError(errors.INVALID_STREAM_ID,
                         "Stream id must be 1-64 characters from A-Z a-z 0-9 . _ : -")
    return value


def config_from(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise config_error({"config": "must be an object"})
    genre = value.get("genre")
    if genre is not None and genre not in (AUTO, *GENRES):
        raise config_error({"config.genre": f"must be one of {', '.join((AUTO, *GENRES))}"})
    return value


def config_error(fields: dict[str, str]) -> MixerError:
    return MixerError(errors.INVALID_CONFIG, "Invalid configuration.", details={"fields": fields})


def settings_error(exc: dsp.SettingsError) -> MixerError:
    """The 400 for settings the chain refused: their fields under ``config.``."""
    return config_error({f"config.{k}": v for k, v in exc.errors.items()})


AUDIO_FORMAT = {"sampleRate": dsp.SAMPLE_RATE, "frameSize": dsp.FRAME_SIZE, "bitDepth": 32}


def config_update_from(body: dict[str, Any]) -> dict[str, Any]:
    """The ``dsp`` changes of a ``PUT /config`` body; ``audio`` may only restate the fixed
    format and ``ai`` is read-only."""
    unknown = {k: "unknown field" for k in body if k not in ("dsp", "audio", "ai")}
    if "ai" in body:
        unknown["ai"] = "read-only"
    if unknown:
        raise config_error(unknown)
    audio = body.get("audio") or {}
    if not isinstance(audio, dict):
        raise config_error({"audio": "must be an object"})
    sample_rate_check(audio.get("sampleRate"))
    if audio.get("frameSize", dsp.FRAME_SIZE) != dsp.FRAME_SIZE:
        raise MixerError(errors.INVALID_BUFFER_SIZE,
                         f"Audio buffer size must be {dsp.FRAME_SIZE} samples.")
    wrong = {f"audio.{k}": "unknown field" if k not in AUDIO_FORMAT else f"fixed at {AUDIO_FORMAT[k]}"
             for k, v in audio.items() if AUDIO_FORMAT.get(k) != v}
    if wrong:
        raise config_error(wrong)
    dsp_changes = body.get("dsp", {})
    if not isinstance(dsp_changes, dict):
        raise config_error({"dsp": "must be an object"})
    return dsp_changes


def field_errors(errors_: Any, prefix: str = "") -> dict[str, str]:
    """A DRF serializer's nested errors as dotted path → first message."""
    flat: dict[str, str] = {}
    for name, value in errors_.items():
        path = f"{prefix}{name}" if name != "non_field_errors" else prefix.rstrip(".") or "body"
        if isinstance(value, dict):
            flat.update(field_errors(value, f"{path}."))
        else:
            flat[path] = str(value[0])
    return flat
