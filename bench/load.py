"""A small HTTP load client: N keep-alive connections, each in its own thread.

Cheap on the client side (one prepared request, a raw socket, the response
read by its Content-Length), so that the server, not the client, is what
runs out of CPU. Bounded by time and by a count of requests.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass


@dataclass
class Result:
    requests: int  # answered 200
    failures: int  # any other answer, or a broken connection
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _read_response(sock: socket.socket, buffer: bytearray) -> tuple[int, bool]:
    """Read one response from `sock`; its status and whether the server keeps
    the connection open. `buffer` holds bytes read past the response."""
    while (end := buffer.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the headers")
        buffer += chunk
    head = bytes(buffer[:end]).decode("latin-1").lower()
    del buffer[: end + 4]
    status = int(head[9:12])
    length = 0
    keep_alive = True
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name == "content-length":
            length = int(value)
        elif name == "connection" and "close" in value:
            keep_alive = False
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the body")
        buffer += chunk
    del buffer[:length]
    return status, keep_alive


def load(
    port: int,
    path: str,
    *,
    connections: int,
    seconds: float,
    max_requests: int = 1_000_000,
) -> Result:
    """GET `path` over `connections` keep-alive connections for `seconds`."""
    payload = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()
    lock = threading.Lock()
    counts = {"ok": 0, "failed": 0}
    stop = threading.Event()

    def worker() -> None:
        ok = failed = 0
        sock: socket.socket | None = None
        buffer = bytearray()
        while not stop.is_set() and ok + failed < max_requests // connections:
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    buffer.clear()
                sock.sendall(payload)
                status, keep_alive = _read_response(sock, buffer)
                if status == 200:
                    ok += 1
                else:
                    failed += 1
                if not keep_alive:
                    sock.close()
                    sock = None
            except OSError:
                failed += 1
                if sock is not None:
                    sock.close()
                sock = None
        if sock is not None:
            sock.close()
        with lock:
            counts["ok"] += ok
            counts["failed"] += failed

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    elapsed = time.perf_counter() - start
    return Result(counts["ok"], counts["failed"], elapsed)
