"""HTTP half of bench/mixer.py: the production web server + an open-loop load generator.

The server is started with the command ``manage.py runservice`` uses (uvicorn, ``--workers``
processes, ``DJANGO_DEBUG=0`` as in production) on the embedded database and Redis.

    python bench/mixer_http.py --child URL KEY RATE SECONDS CONNECTIONS   (the load process)

The load process speaks HTTP/1.1 over asyncio streams with keep-alive (no client library is
needed). Request i is due at ``start + i / rate``; each of ``connections`` connections sends
due requests one after another, with its own ``X-Stream-Id`` so the stream state path in
Redis is exercised. Latency is measured from when the request was due (includes any queueing
in the client, as a real caller at that rate would see) and, separately, from when it was sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH_USER = "bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bench_key() -> tuple[str, int]:
    """Migrate the embedded database and make an enterprise key (unlimited) for the run."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "audioservices.settings")
    import django

    django.setup()  # starts the embedded Redis when REDIS_URL is unset; children share it
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from mixer import services

    call_command("migrate", interactive=False, verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
    key, raw = services.api_key_create(owner=user, name="bench", tier="enterprise")
    return raw, key.pk


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the web server exited during start-up")
        try:
            urllib.request.urlopen(url + "/v1/health", timeout=5)  # noqa: S310 (our own URL)
            return
        except urllib.error.HTTPError:
            return  # it answered (503 = a part is down; the mixer still runs)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the web server did not answer in time")


def _start_server(port: int, workers: int) -> subprocess.Popen:
    from django.conf import settings

    from audioservices.jobs.management.commands.runservice import (
        prometheus_multiprocess_env,
        web_server_command,
    )

    env = {**os.environ, "REDIS_URL": settings.REDIS_URL, "DJANGO_DEBUG": "0"}
    if workers > 1:
        env.update(prometheus_multiprocess_env())
    return subprocess.Popen(web_server_command(host="127.0.0.1", port=port, workers=workers),
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def run(*, rates: list[float], seconds: float, connections: int, workers: int = 1,
        wrk: bool = False) -> None:
    raw_key, key_pk = _bench_key()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _start_server(port, workers)
    try:
        _wait_until_up(url, server)
        print(f"\nPOST /v1/process-audio on uvicorn ({workers} worker process(es)), "
              f"{connections} keep-alive connections, open loop for {seconds:g} s per rate "
              f"(load from a separate process)\n")
        print("| target req/s | achieved req/s | p50 ms | p99 ms | p50 ms (from send) | "
              "p99 ms (from send) | errors | server CPU ms/req | Redis CPU ms/req | "
              "client CPU ms/req |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        _load_run(url, raw_key, rate=50.0, seconds=2.0, connections=connections)  # warm workers
        meters = _CpuMeter(server.pid), _CpuMeter(_redis_server_pid())
        for rate in rates:
            before = [meter.seconds() for meter in meters]
            result = _load_run(url, raw_key, rate=rate, seconds=seconds, connections=connections)
            for name, meter, start in zip(("cpu_server", "cpu_redis"), meters, before,
                                          strict=True):
                result[name] = (meter.seconds() - start) * 1000 / max(result["count"], 1)
            _print_row(result, rate=rate)
        if wrk:
            _wrk_run(url, raw_key, seconds=seconds, connections=connections, meters=meters)
    finally:
        server.terminate()
        server.wait(timeout=30)
        from mixer.models import ApiKey

        ApiKey.objects.filter(pk=key_pk).delete()


WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[%s]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
local n = 0
request = function()  -- stream ids in turn, as the open-loop client's connections have
  n = n + 1
  wrk.headers["X-Stream-Id"] = "wrk-" .. (n %% %d)
  return wrk.format()
end
"""


def _wrk_run(url: str, key: str, *, seconds: float, connections: int, meters) -> None:
    """Closed loop with wrk (Debian package ``wrk``), one thread, ``connections`` connections:
    as fast as the server answers, so it gives the saturation rate, not latency at a rate."""
    import resource
    import shutil
    import tempfile

    if shutil.which("wrk") is None:
        print("\nwrk is not installed (apt-get install wrk): closed-loop run skipped")
        return
    frame = _request_bytes("x", key, "s").split(b"\r\n\r\n", 1)[1].decode()
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % (frame, key, connections))
        script.flush()
        before = [meter.seconds() for meter in meters]
        client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency",
                              "-s", script.name, f"{url}/v1/process-audio"],
                             capture_output=True, text=True, check=True).stdout
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = float(out.split("Requests/sec:")[1].split()[0]) * seconds
    server, redis_cpu = ((m.seconds() - b) * 1000 / done for m, b in zip(meters, before,
                                                                        strict=True))
    client = ((client_after.ru_utime + client_after.ru_stime)
              - (client_before.ru_utime + client_before.ru_stime)) * 1000 / done
    print(f"\nwrk, closed loop, {connections} connections, {seconds:g} s (server CPU "
          f"{server:.2f}, Redis {redis_cpu:.2f}, wrk {client:.2f} ms/request):")
    print("\n".join("    " + line.strip() for line in out.splitlines()
                    if line.strip().startswith(("50%", "90%", "99%", "Requests/sec", "Non-2xx"))))


def _load_run(url: str, key: str, *, rate: float, seconds: float, connections: int) -> dict:
    """One open-loop run from a separate process (the load generator below)."""
    out = subprocess.run([sys.executable, __file__, "--child", url, key, str(rate), str(seconds),
                          str(connections)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _print_row(r: dict, *, rate: float) -> None:
    print(f"| {rate:g} | {r['achieved']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
          f"{r['p50_send']:.2f} | {r['p99_send']:.2f} | {r['errors']} | "
          f"{r['cpu_server']:.2f} | {r['cpu_redis']:.2f} | {r['cpu_client']:.2f} |", flush=True)


class _CpuMeter:
    """CPU seconds (user + system) used by a process and its children (uvicorn's workers):
    on a shared machine this says more than latency about the cost of a request."""

    def __init__(self, pid: int | None) -> None:
        import psutil

        self.process = psutil.Process(pid) if pid else None

    def seconds(self) -> float:
        if self.process is None:
            return float("nan")
        total = 0.0
        for process in (self.process, *self.process.children(recursive=True)):
            times = process.cpu_times()
            total += times.user + times.system
        return total


def _redis_server_pid() -> int | None:
    """The embedded redis-server serving REDIS_URL's unix socket (None for a TCP Redis)."""
    import psutil
    from django.conf import settings

    if not settings.REDIS_URL.startswith("unix://"):
        return None
    socket_dir = str(Path(urlsplit(settings.REDIS_URL).path).parent)
    for process in psutil.process_iter(["name", "cwd", "cmdline"]):
        if "redis" in (process.info["name"] or "") and socket_dir in " ".join(
                [process.info["cwd"] or "", *(process.info["cmdline"] or [])]):
            return process.pid
    return None


# ----------------------------------------------------------------------------- load process


def _request_bytes(host: str, key: str, stream: str) -> bytes:
    rng = np.random.default_rng(0)
    frame = (0.2 * rng.standard_normal(960)).astype(np.float32).tolist()
    body = json.dumps({"audioBuffer": frame}).encode()
    head = (f"POST /v1/process-audio HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {key}\r\nX-Stream-Id: {stream}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(line.split(":", 1)[1]) for line in lines
                  if line.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return status


async def _connection(url: str, key: str, index: int, due: asyncio.Queue, results: list) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    request = _request_bytes(parts.netloc, key, f"bench-{index}")
    while True:
        when = await due.get()
        if when is None:
            break
        await asyncio.sleep(max(0.0, when - time.perf_counter()))
        sent = time.perf_counter()
        writer.write(request)
        status = await _read_response(reader)
        done = time.perf_counter()
        results.append((done - when, done - sent, status))
    writer.close()


async def _load(url: str, key: str, rate: float, seconds: float, connections: int) -> dict:
    total = int(rate * seconds)
    due: asyncio.Queue = asyncio.Queue()
    start = time.perf_counter() + 0.5
    for i in range(total):
        due.put_nowait(start + i / rate)
    for _ in range(connections):
        due.put_nowait(None)
    results: list = []
    cpu_start = time.process_time()
    await asyncio.gather(*(_connection(url, key, i, due, results) for i in range(connections)))
    elapsed = time.perf_counter() - start
    cpu_client = (time.process_time() - cpu_start) * 1000 / max(len(results), 1)
    late = np.array([r[0] for r in results]) * 1000
    sent = np.array([r[1] for r in results]) * 1000
    return {"seconds": seconds, "achieved": len(results) / elapsed, "count": len(results),
            "p50": float(np.percentile(late, 50)), "p99": float(np.percentile(late, 99)),
            "p50_send": float(np.percentile(sent, 50)), "p99_send": float(np.percentile(sent, 99)),
            "errors": sum(1 for r in results if r[2] != 200), "cpu_client": cpu_client}


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    url_, key_, rate_, seconds_, connections_ = sys.argv[2:7]
    import uvloop  # uvicorn's event loop: it costs the load process less CPU per request

    print(json.dumps(uvloop.run(_load(url_, key_, float(rate_), float(seconds_),
                                      int(connections_)))))
