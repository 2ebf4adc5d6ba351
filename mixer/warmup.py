"""Compile (or load from numba's on-disk cache) the mixer kernels when a process starts.

The ASGI entry point calls :func:`warm_up_kernels` once at import, and a Celery worker does it
from ``worker_init`` (before its pool forks, so prefork children inherit the compiled code), so
no request or task ever waits for the JIT. ``cache=True`` on
the kernels plus a writable ``NUMBA_CACHE_DIR`` (settings set a default under ``var/``) make
that a load of about 0.2 s instead of a compile.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def warm_up_kernels(**_signal_kwargs: object) -> None:
    from mixer import dsp, loudness

    seconds = dsp.warm_up() + loudness.warm_up()
    logger.info("mixer kernels ready in %.2f s", seconds)


def connect_worker_warm_up() -> None:
    from celery.signals import worker_init

    worker_init.connect(warm_up_kernels, weak=False, dispatch_uid="mixer-warm-up")
