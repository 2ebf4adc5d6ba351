"""``GET /health``: real checks of the database, Redis, a Celery worker and the DSP kernel.

Overall ``unhealthy`` (HTTP 503) when the database, Redis or the audio chain fails, since no
frame can be processed then; ``degraded`` (HTTP 200) when only the Celery worker does not
answer (mixing works, file-service jobs wait in the queue). ``ai`` reads ``unavailable``
when the genre model file is missing, and does not change the overall status.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection

from mixer import dsp, processing, store
from mixer.apps import PROCESS_STARTED_AT

logger = logging.getLogger(__name__)
API_VERSION = "1.0.0"
HEALTHY, DEGRADED, UNHEALTHY, UNAVAILABLE = "healthy", "degraded", "unhealthy", "unavailable"
ESSENTIAL = ("database", "redis", "audio")


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    store.client().ping()


def _worker() -> None:
    from audioservices.celery import app

    if not app.control.ping(timeout=settings.MIXER_HEALTH_WORKER_TIMEOUT_S, limit=1):
        raise RuntimeError("no Celery worker answered the ping")


def _audio() -> None:
    out = dsp.process(np.full(dsp.FRAME_SIZE, 0.1, np.float32), settings=dsp.ChainSettings(),
                      state=dsp.new_state())
    if not np.isfinite(out.samples).all():
        raise RuntimeError("the chain produced non-finite samples")


def _check(name: str, probe: Callable[[], None]) -> str:
    try:
        probe()
    except Exception:  # any failure is the answer, not an error of this endpoint
        logger.warning("health check %s failed", name, exc_info=True)
        return UNHEALTHY
    return HEALTHY


def health_report() -> dict[str, Any]:
    checks = {"database": _database, "redis": _redis, "worker": _worker, "audio": _audio}
    components = {name: _check(name, probe) for name, probe in checks.items()}
    components["ai"] = HEALTHY if processing.genre_model_version() else UNAVAILABLE
    if any(components[name] != HEALTHY for name in ESSENTIAL):
        overall = UNHEALTHY
    else:
        overall = DEGRADED if components["worker"] != HEALTHY else HEALTHY
    return {"status": overall, "uptime": int(time.time() - PROCESS_STARTED_AT), "version": API_VERSION,
            "region": settings.MIXER_REGION, "components": components,
            "timestamp": int(time.time() * 1000)}
