"""A small Python client for ``POST /stream-audio``: sends a chunked body and reads the
Server-Sent Events while it is still sending (h11 for HTTP/1.1, a plain socket). It is the
reference client the tests and ``bench/mixer_stream.py`` use; no Django.

    with SseStreamClient("127.0.0.1", 8000, key=KEY) as client:
        for chunk in chunks:            # float32 little-endian bytes, any sizes
            client.send(chunk)          # also collects the events that arrived meanwhile
        events = client.finish()        # [(name, data), ...] up to ``complete``
"""

from __future__ import annotations

import json
import select
import socket
import time
from typing import Any

import h11
import orjson

Event = tuple[str, dict[str, Any]]


def sse_parse(data: bytes) -> tuple[list[Event], bytes]:
    """Complete events in ``data`` (blocks end with a blank line) and the unfinished rest.
    Bytes and orjson: an ``audio`` event carries 5 KB of base64, and a client that decodes
    and scans it as text costs more CPU than the server spends on the frame."""
    *blocks, rest = data.split(b"\n\n")
    events = []
    for block in blocks:
        fields = dict(line.split(b": ", 1) for line in block.split(b"\n") if b": " in line)
        events.append((fields.get(b"event", b"message").decode(),
                       orjson.loads(fields.get(b"data", b"null"))))
    return events, rest


class SseStreamClient:
    def __init__(self, host: str, port: int, *, key: str | None,
                 path: str = "/v1/stream-audio", method: str = "POST",
                 headers: dict[str, str] | None = None, timeout: float = 60.0) -> None:
        self.address, self.path, self.method, self.timeout = (host, port), path, method, timeout
        self.request_headers = {"Host": f"{host}:{port}", "Transfer-Encoding": "chunked",
                                "Content-Type": "application/octet-stream", **(headers or {})}
        if key:
            self.request_headers["Authorization"] = f"Bearer {key}"
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = bytearray()  # the raw response body (JSON for an error answer)
        self.events: list[Event] = []
        self.arrivals: list[float] = []  # time.perf_counter() when each event was read
        self.done = False
        self._unparsed = b""

    def __enter__(self) -> SseStreamClient:
        self.conn = h11.Connection(h11.CLIENT)
        self.sock = socket.create_connection(self.address, timeout=self.timeout)
        # Small chunks go out at once: Nagle would hold one back until the previous is acked.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._write(h11.Request(method=self.method, target=self.path,
                                headers=list(self.request_headers.items())))
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def _write(self, event: Any) -> None:
        self.sock.sendall(self.conn.send(event) or b"")

    def send(self, data: bytes) -> None:
        """One body chunk; then the events that have already arrived (without waiting)."""
        if self.done:  # the server already answered (an error): stop sending
            return
        self._write(h11.Data(data=data))
        self.read(wait=False)

    def finish(self) -> list[Event]:
        """End the body and read the response to its end; every event received."""
        if not self.done and self.conn.our_state is h11.SEND_BODY:
            self._write(h11.EndOfMessage())
        while not self.done:
            self.read(wait=True)
        return self.events

    def read(self, *, wait: bool) -> None:
        """Take in what the server sent; with ``wait``, block until at least one event."""
        while not self.done:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                if not wait and not select.select([self.sock], [], [], 0)[0]:
                    return
                data = self.sock.recv(1 << 16)
                self.conn.receive_data(data)
                if not data:
                    self.done = True
                continue
            self._take(event)
            if wait and isinstance(event, h11.Data):
                return

    def _take(self, event: Any) -> None:
        if isinstance(event, h11.Response):
            self.status = event.status_code
            self.headers = {k.decode().lower(): v.decode() for k, v in event.headers}
        elif isinstance(event, h11.Data):
            self.body += event.data
            if self.status == 200:
                events, self._unparsed = sse_parse(self._unparsed + event.data)
                self.events.extend(events)
                self.arrivals.extend([time.perf_counter()] * len(events))
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            self.done = True

    def json(self) -> Any:
        return json.loads(self.body)
