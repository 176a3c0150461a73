"""Content-encodings (gzip, deflate, br, zstd) decoded incrementally under a size cap.

Raw bytes are pushed through a chain of decoders; each decoder hands its output
on in pieces of at most :data:`STEP` bytes, so no single call can inflate a bomb
into memory. The last stage is a :class:`CappedBuffer` that raises
:class:`~newsarchiver.errors.ResponseTooLarge` the moment the decoded body passes
the cap. A stream that stops before its end marker is a
:class:`~newsarchiver.errors.TruncatedResponse`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import brotli
import zstandard

from newsarchiver.errors import ContentEncodingError, ResponseTooLarge, TruncatedResponse

#: Largest piece of output produced by one decoder call.
STEP = 64 * 1024
#: zstd input is fed in slices this small: one slice can yield at most ~1 MiB.
_ZSTD_SLICE = 32
#: Largest zstd window accepted (RFC 8878 asks HTTP decoders to support 8 MiB).
_ZSTD_MAX_WINDOW = 1 << 23
MAX_STACKED_ENCODINGS = 2

Sink = Callable[[bytes], None]


class CappedBuffer:
    """Collects the decoded body; refuses to grow past ``cap`` bytes (keeping the first ``cap``)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()

    def __call__(self, piece: bytes) -> None:
        if len(self.data) + len(piece) > self.cap:
            self.data += piece[: self.cap - len(self.data)]
            raise ResponseTooLarge(f"decoded body exceeds the cap of {self.cap} bytes")
        self.data += piece


class _Decoder:
    name = ""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    def feed(self, data: bytes) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def _truncated(self) -> TruncatedResponse:
        return TruncatedResponse(f"{self.name} stream ended before its end marker")


class _ZlibDecoder(_Decoder):
    """gzip (multi-member) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, sink: Sink, name: str) -> None:
        super().__init__(sink)
        self.name = name
        self._obj: zlib._Decompress | None = (
            zlib.decompressobj(16 + zlib.MAX_WBITS) if name == "gzip" else None)
        self._started = False
        self._ended = False

    def _new_deflate(self, first: bytes) -> zlib._Decompress:
        wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes) -> None:
        if not data:
            return
        if self._obj is None:
            self._obj = self._new_deflate(data)
        self._started = True
        while True:
            if self._obj.eof:
                data = self._obj.unused_data + data
                if self.name != "gzip" or not data.strip(b"\0"):
                    return  # nothing but padding after the stream
                self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)  # next gzip member
            try:
                out = self._obj.decompress(data, STEP)
            except zlib.error as exc:
                raise ContentEncodingError(f"invalid {self.name} data: {exc}") from None
            if out:
                self.sink(out)
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                if not self._obj.unused_data and not data:
                    return
                continue
            if not data and len(out) < STEP:
                return

    def finish(self) -> None:
        if not self._started:
            return  # an empty body is an empty body
        assert self._obj is not None
        if not self._obj.eof:
            raise self._truncated()


class _BrotliDecoder(_Decoder):
    name = "br"

    def __init__(self, sink: Sink) -> None:
        super().__init__(sink)
        self._obj = brotli.Decompressor()
        self._started = False

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self._started = True
        try:
            out = self._obj.process(data, output_buffer_limit=STEP)
            while True:
                if out:
                    self.sink(out)
                if self._obj.can_accept_more_data() or self._obj.is_finished():
                    return
                out = self._obj.process(b"", output_buffer_limit=STEP)
        except brotli.error as exc:
            raise ContentEncodingError(f"invalid br data: {exc}") from None

    def finish(self) -> None:
        if self._started and not self._obj.is_finished():
            raise self._truncated()


class _ZstdDecoder(_Decoder):
    name = "zstd"

    def __init__(self, sink: Sink) -> None:
        super().__init__(sink)
        self._dctx = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW)
        self._obj = self._dctx.decompressobj()
        self._started = False

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            for i in range(0, len(view), _ZSTD_SLICE):
                if self._obj.eof:
                    self._obj = self._dctx.decompressobj()  # a further frame
                self._started = True
                out = self._obj.decompress(view[i:i + _ZSTD_SLICE])
                for j in range(0, len(out), STEP):
                    self.sink(out[j:j + STEP])
        except zstandard.ZstdError as exc:
            raise ContentEncodingError(f"invalid zstd data: {exc}") from None

    def finish(self) -> None:
        if self._started and not self._obj.eof:
            raise self._truncated()


def parse_content_encoding(values: Sequence[str]) -> list[str]:
    """The codings applied, in order, from Content-Encoding header values."""
    codings = [c.strip().lower() for v in values for c in v.split(",")]
    return [c for c in codings if c and c != "identity"]


class BodyDecoder:
    """Decodes a body encoded with ``codings`` (in the order applied) into a capped buffer."""

    def __init__(self, codings: Sequence[str], cap: int) -> None:
        if len(codings) > MAX_STACKED_ENCODINGS:
            raise ContentEncodingError(
                f"{len(codings)} stacked content-encodings; at most {MAX_STACKED_ENCODINGS}")
        self.buffer = CappedBuffer(cap)
        sink: Sink = self.buffer
        self._chain: list[_Decoder] = []
        for coding in codings:  # the last applied is the first to undo
            decoder = _make_decoder(coding, sink)
            self._chain.insert(0, decoder)
            sink = decoder.feed
        self._head: Sink = sink

    def feed(self, raw: bytes) -> None:
        self._head(raw)

    def finish(self) -> bytes:
        for decoder in self._chain:
            decoder.finish()
        return bytes(self.buffer.data)


def _make_decoder(coding: str, sink: Sink) -> _Decoder:
    if coding in ("gzip", "x-gzip"):
        return _ZlibDecoder(sink, "gzip")
    if coding == "deflate":
        return _ZlibDecoder(sink, "deflate")
    if coding == "br":
        return _BrotliDecoder(sink)
    if coding == "zstd":
        return _ZstdDecoder(sink)
    raise ContentEncodingError(f"unsupported content-encoding {coding!r}")


def decode_body(body: bytes, codings: Sequence[str], cap: int) -> bytes:
    """Decode a whole body at once (same caps as streaming)."""
    decoder = BodyDecoder(codings, cap)
    decoder.feed(body)
    return decoder.finish()
