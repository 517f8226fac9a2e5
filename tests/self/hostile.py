"""Hostile targets: tiny loopback HTTP servers whose /health answers normally and whose other routes misbehave.

Raw asyncio on 127.0.0.1, no framework, so each can break HTTP the way a broken proxy or a bad deploy does.
Each connection gets one answer and is closed. `python -m tests.self.hostile NAME [--port P] [--seconds S]`
serves one in the foreground (for the manual runs in docs/hostile-targets.md); it stops by itself after S
seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import struct
import sys
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterator
from functools import cache

HEALTH = b'{"status": "healthy"}'
BLOCK = 64 * 1024
BOMB_INFLATED = 1024 ** 3  # the gzip bomb inflates to 1 GiB ...
TRICKLE_LENGTH = 100_000  # ... the trickle promises this much, one byte a second

Writer = asyncio.StreamWriter
Handler = Callable[[Writer], Awaitable[None]]


def _head(status: str = "200 OK", *headers: str) -> bytes:
    return ("\r\n".join([f"HTTP/1.1 {status}", *headers, "Connection: close"]) + "\r\n\r\n").encode()


async def _send_forever(writer: Writer, block: bytes) -> None:
    while True:  # until the client hangs up (the write fails)
        writer.write(block)
        await writer.drain()


async def endless_body(writer: Writer) -> None:
    """Chunked JSON that never ends, as fast as loopback allows."""
    writer.write(_head("200 OK", "Content-Type: application/json", "Transfer-Encoding: chunked"))
    row = b'{"id": "x/y", "name": "X", "source_gateway": "openai"},' * 1000
    writer.write(b"%x\r\n{\"data\": [\r\n" % len(b'{"data": ['))
    await _send_forever(writer, b"%x\r\n%s\r\n" % (len(row), row))


async def huge_length(writer: Writer) -> None:
    """A 2 GiB Content-Length, served as fast as loopback allows."""
    writer.write(_head("200 OK", "Content-Type: application/json", f"Content-Length: {2 * 1024 ** 3}"))
    await _send_forever(writer, b" " * BLOCK)


async def trickle(writer: Writer) -> None:
    """One byte a second under a Content-Length of 100,000."""
    writer.write(_head("200 OK", "Content-Type: application/json", f"Content-Length: {TRICKLE_LENGTH}"))
    await writer.drain()
    while True:
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(1)


@cache
def gzip_bomb() -> bytes:
    """~1 MB of gzip that inflates to 1 GiB of zeros: made by streaming zeros through zlib, never stored."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    parts = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"]  # gzip header: deflate, no name, no mtime
    parts += [deflate.compress(zeros) for _ in range(BOMB_INFLATED // len(zeros))]
    parts.append(deflate.flush())
    crc = 0
    for _ in range(BOMB_INFLATED // len(zeros)):
        crc = zlib.crc32(zeros, crc)
    parts.append(struct.pack("<II", crc, BOMB_INFLATED & 0xFFFFFFFF))
    return b"".join(parts)


async def gzip_bomb_answer(writer: Writer) -> None:
    body = gzip_bomb()
    writer.write(_head("200 OK", "Content-Type: application/json", "Content-Encoding: gzip",
                       f"Content-Length: {len(body)}"))
    writer.write(body)
    await writer.drain()


async def endless_headers(writer: Writer) -> None:
    """A status line, then header lines that never end (a short line every 50 ms: each read gets bytes)."""
    writer.write(b"HTTP/1.1 200 OK\r\n")
    n = 0
    while True:
        n += 1
        writer.write(b"X-Pad-%d: .\r\n" % n)
        await writer.drain()
        await asyncio.sleep(0.05)


async def reset_mid_body(writer: Writer) -> None:
    """5,000 of the 100,000 bytes promised, then a TCP reset."""
    writer.write(_head("200 OK", "Content-Type: application/json", "Content-Length: 100000"))
    writer.write(b'{"data": [' + b" " * 4990)
    await writer.drain()
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
    writer.transport.abort()


async def invalid_json(writer: Writer) -> None:
    body = b'{"data": [{"id": "x/y", "name": '
    writer.write(_head("200 OK", "Content-Type: application/json", f"Content-Length: {len(body)}") + body)
    await writer.drain()


async def html(writer: Writer) -> None:
    body = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    writer.write(_head("200 OK", "Content-Type: text/html", f"Content-Length: {len(body)}") + body)
    await writer.drain()


HOSTILE: dict[str, Handler] = {
    "endless-body": endless_body,
    "huge-length": huge_length,
    "trickle": trickle,
    "gzip-bomb": gzip_bomb_answer,
    "endless-headers": endless_headers,
    "reset-mid-body": reset_mid_body,
    "invalid-json": invalid_json,
    "html": html,
}


async def _read_request(reader: asyncio.StreamReader) -> str:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
    if length:
        await reader.readexactly(length)
    return lines[0].split(" ")[1] if " " in lines[0] else "/"


def _handler(misbehave: Handler) -> Callable[[asyncio.StreamReader, Writer], Awaitable[None]]:
    async def serve(reader: asyncio.StreamReader, writer: Writer) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError,
                                 asyncio.CancelledError):
            path = await _read_request(reader)
            if path.split("?", 1)[0] == "/health":
                writer.write(_head("200 OK", "Content-Type: application/json", f"Content-Length: {len(HEALTH)}")
                             + HEALTH)
                await writer.drain()
            else:
                await misbehave(writer)
        with contextlib.suppress(Exception):
            writer.close()

    return serve


class HostileServer:
    """One hostile target on 127.0.0.1, served from a background thread (its own event loop)."""

    def __init__(self, name: str, port: int = 0) -> None:
        self.name, self._port = name, port
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"hostile-{name}")
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(_handler(HOSTILE[self.name]), "127.0.0.1", self._port))
        self.port = server.sockets[0].getsockname()[1]
        self._started.set()
        self._loop.run_forever()
        server.close()
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self._loop.close()

    def start(self) -> HostileServer:
        if self.name == "gzip-bomb":
            gzip_bomb()  # made once, before the clock of any request starts
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@contextlib.contextmanager
def serving(name: str) -> Iterator[HostileServer]:
    server = HostileServer(name).start()
    try:
        yield server
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.self.hostile", description=__doc__)
    parser.add_argument("name", choices=sorted(HOSTILE))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=600, help="stop after this long (default 600)")
    args = parser.parse_args(argv)
    server = HostileServer(args.name, args.port).start()
    print(f"{args.name}: {server.url}", flush=True)
    stop = threading.Event()
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait(args.seconds)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
