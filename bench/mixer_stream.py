"""Frames per second and per-frame latency of one streaming connection: SSE and WebSocket.

    python bench/mixer_stream.py --frames 3000

Starts uvicorn as ``manage.py runservice`` does (embedded SQLite + Redis of this checkout),
makes an enterprise key (no rate limit), and streams real speech + real noise (resampled to
48 kHz mono) from this process over one connection:

- SSE, ``POST /v1/stream-audio``: the body sent as fast as the server takes it, in chunks of
  1 frame and of 16 frames. Latency = from sending the chunk that completes a frame to
  reading that frame's event (client side); the server's own ``averageLatency`` beside it.
- SSE with ``curl -N`` (a C client; the body in curl's 64 KB pieces, events counted by grep):
  the server's rate when the client costs little. No per-frame latency there.
- WebSocket ``/v1/ws``: lock-step (send a message, wait for its binary answer and metrics: the
  latency) and pipelined (up to 32 frames in flight: the throughput), with one frame per
  message and with 16-frame messages (the batch form).

Prints frames/s, x real time (a frame is 20 ms), p50/p99 latency, CPU per frame of the server
and of the client (curl + grep for the curl row), and the server's RSS (its log:
var/bench-mixer-stream.log). ``--ws-impl`` picks uvicorn's WebSocket implementation.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import numpy as np
import psutil
import soxr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import RATE, long_signal  # noqa: E402
from bench.mixer_http import _bench_key, _free_port, _wait_until_up  # noqa: E402

FRAME = 960
WINDOW = 32  # frames in flight
BATCH = 16  # frames per WebSocket message in the batch rows


def speech_frames(count: int) -> np.ndarray:
    audio = long_signal(count * 0.02 / 60 + 0.01, level=0.3).mean(axis=0)
    mono48 = soxr.resample(audio, RATE, 48000).astype(np.float32)
    return mono48[: count * FRAME].reshape(count, FRAME)


class CpuMeter:
    """CPU seconds of the server and of this (client) process during one run; the client's
    include its finished children (curl)."""

    def __init__(self, server: psutil.Process) -> None:
        self.processes = (server, psutil.Process())

    def __enter__(self) -> CpuMeter:
        self.before = [sum(p.cpu_times()[:4]) for p in self.processes]
        return self

    def __exit__(self, *exc: object) -> None:
        self.used = [sum(p.cpu_times()[:4]) - b for p, b in zip(self.processes, self.before,
                                                                strict=True)]


def row(name: str, frames: int, seconds: float, latencies_ms: list[float], cpu: CpuMeter,
        extra: str) -> None:
    p50, p99 = np.percentile(latencies_ms, [50, 99]) if latencies_ms else (np.nan, np.nan)
    server_us, client_us = (used / frames * 1e6 for used in cpu.used)
    print(f"| {name} | {frames} | {frames / seconds:,.0f} | {frames * 0.02 / seconds:,.0f}x | "
          f"{p50:.2f} | {p99:.2f} | {server_us:.0f} | {client_us:.0f} | {extra} |", flush=True)


def bench_sse(port: int, key: str, x: np.ndarray, chunk_frames: int, cpu: CpuMeter) -> None:
    from mixer.sse_client import SseStreamClient

    data = x.astype("<f4").tobytes()
    step = chunk_frames * FRAME * 4
    sent_at = []
    start = time.perf_counter()
    with cpu, SseStreamClient("127.0.0.1", port, key=key) as client:
        for offset in range(0, len(data), step):
            client.send(data[offset:offset + step])
            sent_at.extend([time.perf_counter()] * chunk_frames)
        events = client.finish()
    seconds = time.perf_counter() - start
    audio = [i for i, (name, _) in enumerate(events) if name == "audio"]
    latencies = [(client.arrivals[i] - sent_at[n]) * 1000 for n, i in enumerate(audio)]
    server_ms = events[-1][1]["averageLatency"]
    row(f"SSE, {chunk_frames}-frame chunks", len(audio), seconds, latencies, cpu,
        f"{server_ms:.3f} ms")


def bench_sse_curl(port: int, key: str, x: np.ndarray, cpu: CpuMeter) -> None:
    """curl sends the body (no ``Expect: 100-continue``, which would stall it a second);
    grep counts the events."""
    with tempfile.NamedTemporaryFile(suffix=".f32") as body:
        body.write(x.astype("<f4").tobytes())
        body.flush()
        command = (f"curl -sN -X POST -H 'Authorization: Bearer {key}' -H 'Expect:' "
                   "-H 'Content-Type: application/octet-stream' "
                   "-H 'Transfer-Encoding: chunked' "
                   f"--data-binary @{body.name} http://127.0.0.1:{port}/v1/stream-audio"
                   " | grep -c '^event: audio'")
        start = time.perf_counter()
        with cpu:
            counted = subprocess.run(command, shell=True, capture_output=True, text=True,  # noqa: S602
                                     check=True)
        seconds = time.perf_counter() - start
    row("SSE, curl -N (C client)", int(counted.stdout), seconds, [], cpu, "")


def bench_ws(port: int, key: str, x: np.ndarray, *, frames_per_message: int,
             messages_in_flight: int, cpu: CpuMeter, compression: str | None) -> None:
    from websockets.sync.client import connect

    messages = x.reshape(-1, frames_per_message * FRAME)
    with connect(f"ws://127.0.0.1:{port}/v1/ws?key={key}", max_size=None,
                 compression=compression) as socket:
        socket.send(json.dumps({"type": "stream", "id": "bench"}))
        json.loads(socket.recv())
        in_flight: deque[float] = deque()
        latencies: list[float] = []
        start = time.perf_counter()
        with cpu:
            for message in messages:
                socket.send(message.astype("<f4").tobytes())
                in_flight.append(time.perf_counter())
                while len(in_flight) >= messages_in_flight:
                    latencies.append(_receive_one(socket, in_flight, frames_per_message))
            while in_flight:
                latencies.append(_receive_one(socket, in_flight, frames_per_message))
        seconds = time.perf_counter() - start
        socket.send(json.dumps({"type": "stop", "id": "end"}))
        summary = json.loads(socket.recv())["data"]
    mode = "lock-step" if messages_in_flight == 1 else (
        f"{frames_per_message * messages_in_flight} frames in flight")
    if frames_per_message > 1:
        mode = f"{frames_per_message}-frame messages, {mode}"
    if compression:
        mode += ", permessage-deflate"
    row(f"WebSocket, {mode}", len(x), seconds, latencies, cpu,
        f"{summary['averageLatency']:.3f} ms")


def _receive_one(socket, in_flight: deque[float], frames_per_message: int) -> float:
    """One answer (binary frames + metrics); ms since its message was sent."""
    processed = socket.recv()
    if not isinstance(processed, bytes) or len(processed) != frames_per_message * FRAME * 4:
        raise RuntimeError(f"expected processed frames, got {processed!r:.200}")
    socket.recv()  # its metrics message
    return (time.perf_counter() - in_flight.popleft()) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--ws-impl", default="websockets-sansio",
                        choices=["websockets-sansio", "websockets"],
                        help="uvicorn's --ws (runservice uses websockets-sansio)")
    parser.add_argument("--only", choices=["sse", "ws"], help="run only these rows")
    parser.add_argument("--deflate", action="store_true",
                        help="also the WebSocket rows with permessage-deflate (slow)")
    args = parser.parse_args()
    args.frames -= args.frames % BATCH  # whole batch messages
    raw_key, key_pk = _bench_key()
    from django.conf import settings

    from audioservices.jobs.management.commands.runservice import web_server_command

    x = speech_frames(args.frames)
    port = _free_port()
    log = open(ROOT / "var" / "bench-mixer-stream.log", "w")  # noqa: SIM115 (the server's)
    command = web_server_command(host="127.0.0.1", port=port)  # as runservice starts it
    command[command.index("--ws") + 1] = args.ws_impl
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "REDIS_URL": settings.REDIS_URL},
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", server)
        web = psutil.Process(server.pid)
        rss_before = web.memory_info().rss / 2**20
        print(f"\n{args.frames} frames ({args.frames * 0.02:g} s of 48 kHz mono speech + noise),"
              " one connection each, client in this process, uvicorn in another\n")
        print("| connection | frames | frames/s | x real time | p50 ms | p99 ms | server CPU "
              "µs/frame | client CPU µs/frame | server's averageLatency |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        cpu = CpuMeter(web)
        if args.only != "ws":
            bench_sse(port, raw_key, x, 1, cpu)
            bench_sse(port, raw_key, x, 16, cpu)
            bench_sse_curl(port, raw_key, x, cpu)
        if args.only != "sse":
            # browsers negotiate deflate by default
            for compression in ("deflate", None) if args.deflate else (None,):
                for per_message, in_flight in ((1, 1), (1, WINDOW), (BATCH, 1),
                                               (BATCH, WINDOW // BATCH)):
                    bench_ws(port, raw_key, x, frames_per_message=per_message,
                             messages_in_flight=in_flight, cpu=cpu, compression=compression)
        print(f"\nserver RSS {rss_before:.0f} MB before, {web.memory_info().rss / 2**20:.0f} MB "
              "after")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        from mixer.models import ApiKey

        ApiKey.objects.filter(pk=key_pk).delete()


if __name__ == "__main__":
    main()
