"""The cap on an answer's size, decoded bytes included, for every client of the run (the suite's, the fuzzer's,
the OpenAI SDK's).

A body is read from its raw bytes and decoded here, not by the HTTP library: httpx and urllib3 inflate each
raw chunk at once, so a 64 KiB chunk of a gzip bomb becomes ~64 MiB before any cap can look at it. Here
inflating goes in steps of at most `DECODE_STEP` bytes and stops at the cap, so a 1 MB body that inflates to
1 GiB costs the cap, never the gigabyte. No network import: each client hands its raw byte iterator in.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024  # a 1000-row catalog page is ~1 MB: 16 MiB leaves room
DECODE_STEP = 64 * 1024  # the most one inflating step may produce
HEAD_BYTES = 64 * 1024  # what is kept of an over-cap body: enough for any excerpt
ACCEPT_ENCODING = "gzip, deflate"  # what every client asks for: the encodings decoded (and bounded) here
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class AnswerTooLarge(Exception):
    """The answer's body went past the cap: reading stopped there (`head` is its start)."""

    def __init__(self, limit: int, head: bytes, encoding: str = "") -> None:
        decoded = f" once decoded (Content-Encoding: {encoding})" if encoding else ""
        super().__init__(f"the answer's body exceeded the cap of {limit:,} bytes{decoded} (MAX_BODY_BYTES); "
                         "not read further")
        self.limit = limit
        self.head = head


class UndecodableBody(Exception):
    """A Content-Encoding the body does not match (a corrupt gzip stream)."""


def content_codings(header: str) -> list[str]:
    """The codings applied to a body, in the order they were applied (identity left out)."""
    return [c for c in (part.strip().lower() for part in header.split(",")) if c and c != "identity"]


def _inflate(raw: Iterable[bytes], coding: str) -> Iterator[bytes]:
    wbits = _WBITS[coding]
    inflater = zlib.decompressobj(wbits)
    first = True
    for chunk in raw:
        data = chunk
        while True:
            try:
                out = inflater.decompress(data, DECODE_STEP)
            except zlib.error as exc:
                if first and coding == "deflate":  # raw deflate without the zlib header (servers send both)
                    inflater, wbits, first = zlib.decompressobj(-zlib.MAX_WBITS), -zlib.MAX_WBITS, False
                    continue
                raise UndecodableBody(f"the body is not valid {coding} ({exc})") from None
            first = False
            if out:
                yield out
            data = inflater.unconsumed_tail
            # A full step may leave output inside zlib even when all input was taken: ask again until it is short.
            if not data and len(out) < DECODE_STEP:
                break
    tail = inflater.flush()
    if tail:
        yield tail


def decoded(raw: Iterable[bytes], content_encoding: str) -> Iterator[bytes]:
    """The body's bytes as the server meant them, in chunks of at most `DECODE_STEP` once inflated. A coding we
    do not decode (we only ask for gzip and deflate) is passed through: the cap still holds, the body will not
    parse."""
    chunks: Iterable[bytes] = raw
    for coding in reversed(content_codings(content_encoding)):
        if coding in _WBITS:
            chunks = _inflate(chunks, coding)
    return iter(chunks)


def read_capped(raw: Iterable[bytes], content_encoding: str, limit: int,
                check: Callable[[], None] | None = None) -> bytes:
    """The whole decoded body, or `AnswerTooLarge` as soon as it passes `limit` (with the head kept). `check`
    runs after each chunk (a deadline that does not rely on signals)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in decoded(raw, content_encoding):
        size += len(chunk)
        if size > limit:
            head = b"".join([*chunks, chunk])[: min(limit, HEAD_BYTES)]
            raise AnswerTooLarge(limit, head, ",".join(content_codings(content_encoding)))
        chunks.append(chunk)
        if check is not None:
            check()
    return b"".join(chunks)
