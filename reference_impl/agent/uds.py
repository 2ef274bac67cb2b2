"""HTTP/1.1 over a container's unix socket: one kept-alive connection, one call at a time.

The FDK serves ``POST /call`` on ``lsnr.sock``; this is the agent's side of that exchange,
parsed with httptools (what uvicorn and the Python FDK parse with), so a hot call costs one
write and the reads of one answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httptools

#: Headers that describe one connection and never pass from one hop to the next.
HOP_BY_HOP = frozenset(
    {"connection", "proxy-connection", "keep-alive", "proxy-authenticate",
     "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"}
)  # fmt: skip
DEFAULT_HEADER_LIMIT = 1024 * 1024


class ConnectionLost(Exception):
    """The socket closed, or answered something that is not HTTP, before a whole answer."""


class HeadersTooLarge(ConnectionLost):
    pass


class BodyTooLarge(ConnectionLost):
    pass


@dataclass
class Answer:
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    keep_alive: bool = True


class _Parse:
    """httptools callbacks, collecting one answer under the size limits."""

    def __init__(self, header_limit: int, body_limit: int) -> None:
        self.answer = Answer()
        self.done = False
        #: Set when a limit was passed (httptools turns a callback's exception into its own).
        self.too_large: ConnectionLost | None = None
        self._header_bytes = 0
        self._header_limit = header_limit
        self._body_limit = body_limit
        self._name = b""

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > self._header_limit:
            self.too_large = HeadersTooLarge()
            raise self.too_large
        self.answer.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self.answer.body += body
        if self._body_limit and len(self.answer.body) > self._body_limit:
            self.too_large = BodyTooLarge()
            raise self.too_large

    def on_message_complete(self) -> None:
        self.done = True


class SocketClient:
    def __init__(self, path: str, *, header_limit: int = 0, body_limit: int = 0) -> None:
        self.path = path
        self._header_limit = header_limit or DEFAULT_HEADER_LIMIT
        self._body_limit = body_limit
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, target: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        """Send one request and read its whole answer; ConnectionLost on any failure."""
        if self._writer is not None and (
            self._writer.is_closing() or (self._reader is not None and self._reader.at_eof())
        ):
            self.close()  # the function closed the kept-alive connection meanwhile
        if self._writer is None:
            try:
                self._reader, self._writer = await asyncio.open_unix_connection(self.path)
            except OSError as exc:
                raise ConnectionLost(str(exc)) from None
        assert self._reader is not None
        head = [f"POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(body)}\r\n"]
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP and name.lower() not in (
                "host",
                "content-length",
                "expect",
            ):
                head.append(f"{name}: {value}\r\n")
        head.append("\r\n")
        parse = _Parse(self._header_limit, self._body_limit)
        parser = httptools.HttpResponseParser(parse)
        try:
            self._writer.write("".join(head).encode("latin-1") + body)
            while not parse.done:
                chunk = await self._reader.read(65536)
                if not chunk:
                    raise ConnectionLost("the function closed its socket")
                parser.feed_data(chunk)
        except (HeadersTooLarge, BodyTooLarge):
            self.close()
            raise
        except (OSError, httptools.HttpParserError, UnicodeEncodeError) as exc:
            self.close()
            if parse.too_large is not None:
                raise parse.too_large from None
            raise ConnectionLost(str(exc) or type(exc).__name__) from None
        except BaseException:
            self.close()  # cancelled mid-answer: the connection is in an unknown state
            raise
        parse.answer.status = parser.get_status_code()
        parse.answer.keep_alive = parser.should_keep_alive()
        if not parse.answer.keep_alive:
            self.close()
        return parse.answer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


__all__ = [
    "HOP_BY_HOP",
    "Answer",
    "BodyTooLarge",
    "ConnectionLost",
    "HeadersTooLarge",
    "SocketClient",
]
