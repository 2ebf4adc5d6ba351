"""Per-stream DSP and loudness state in Redis, so any server process can take the next frame.

A stream is named by the client (``X-Stream-Id`` header or ``streamId`` field) and scoped to
the API key, so two keys never share a stream. Its state (chain envelopes, filter memories,
the limiter's look-ahead, the loudness meter: about 14 KB) is read before and written after
each frame, and expires ``settings.MIXER_STREAM_TTL_S`` after the last frame. Frames of one
stream must be sent one after another: two frames of the same stream in flight at once would
both start from the same state (last write wins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import redis
from django.conf import settings

from mixer import dsp, loudness, store
from mixer.models import ApiKey

STREAM_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_SIZES = (dsp.new_state().values.size, loudness.STATE_SIZE)


@dataclass
class StreamState:
    chain: dsp.ChainState
    meter: np.ndarray


def fresh_state() -> StreamState:
    return StreamState(chain=dsp.new_state(), meter=loudness.new_meter_state())


def _redis_key(key: ApiKey, stream_id: str) -> str:
    return f"mixer:stream:{key.key_hash[:20]}:{stream_id}"


def _decode(blob: bytes) -> StreamState | None:
    flat = np.frombuffer(blob, dtype=np.float64)
    if flat.size != sum(_SIZES):  # written by a build with another layout: start afresh
        return None
    values, meter = np.split(flat.copy(), [_SIZES[0]])
    return StreamState(chain=dsp.ChainState(values=values, sample_rate=dsp.SAMPLE_RATE),
                       meter=meter)


def stream_load(*, key: ApiKey, stream_id: str) -> StreamState:
    return stream_state_from(store.client().get(_redis_key(key, stream_id)))


def stream_load_queue(*, key: ApiKey, stream_id: str, pipe: redis.client.Pipeline) -> None:
    """Queue the read of the stream's state on ``pipe``; pass its reply to
    :func:`stream_state_from` (one round trip with the rate-limit count)."""
    pipe.get(_redis_key(key, stream_id))


def stream_state_from(blob: bytes | None) -> StreamState:
    """The state stored in ``blob``, or a fresh one (no blob, or another build's layout)."""
    return (_decode(blob) if blob else None) or fresh_state()


def stream_save(
    *, key: ApiKey, stream_id: str, state: StreamState, pipe: redis.client.Pipeline | None = None
) -> None:
    """Write the state now, or queue the write on ``pipe`` (one round trip with the stats)."""
    blob = state.chain.values.tobytes() + state.meter.tobytes()
    (pipe if pipe is not None else store.client()).set(
        _redis_key(key, stream_id), blob, ex=settings.MIXER_STREAM_TTL_S
    )
