"""The numba kernels are ready when the server and the worker start, not on a first request."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import audioservices.asgi\n"
    "from mixer import dsp, loudness\n"
    "print(len(dsp._kernel.signatures), len(loudness._weigh_and_accumulate.signatures))\n"
)


def test_importing_the_asgi_app_compiles_the_kernels():
    env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    assert len(out) == 2
    assert all(int(n) >= 1 for n in out)  # compiled signatures of the chain and the meter


@pytest.mark.django_db
def test_the_celery_worker_warms_up_at_start(celery_worker):
    log = ROOT / "var" / f"test-worker-{os.getpid()}.log"
    assert "mixer kernels ready" in log.read_text()
