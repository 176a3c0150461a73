"""A real HTTP server on loopback for tests, with programmable routes.

A route is a function of the request handler; it can answer normally with
``respond`` or take the raw socket (``handler.wfile`` / ``handler.connection``)
to misbehave on purpose: trickle, stall, reset, break chunking.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Route = Callable[["Handler"], None]


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        self.server.owner.hits.append(
            Hit(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        )
        route = self.server.owner.routes.get(path) or self.server.owner.routes.get(self.path)
        if route is None:
            respond(self, b"not found", status=404, content_type="text/plain")
            return
        route(self)

    do_GET = _dispatch
    do_HEAD = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: LocalServer


@dataclass
class LocalServer:
    """Serves ``routes`` on 127.0.0.1 at a free port; ``url(path)`` gives addresses."""

    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.owner = self
        # A short poll interval makes stop() take milliseconds, not half a second.
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, fn: Route) -> str:
        self.routes[path] = fn
        return self.url(path)

    def page(self, path: str, body: bytes | str, *, status: int = 200,
             content_type: str = "text/html; charset=utf-8",
             headers: Mapping[str, str] | None = None) -> str:
        """Serve a fixed body at ``path``; returns its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self.route(path, lambda h: respond(h, data, status=status,
                                                  content_type=content_type, headers=headers))

    def hits_for(self, path: str) -> list[Hit]:
        return [h for h in self.hits if urlsplit(h.path).path == path]

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def respond(handler: BaseHTTPRequestHandler, body: bytes, *, status: int = 200,
            content_type: str | None = "text/html; charset=utf-8",
            headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> None:
    """Write a complete, well-formed response."""
    handler.send_response(status)
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    names = set()
    for k, v in items:
        names.add(k.lower())
        handler.send_header(k, v)
    if content_type and "content-type" not in names:
        handler.send_header("Content-Type", content_type)
    if "content-length" not in names:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD" and status not in (204, 304):
        handler.wfile.write(body)
