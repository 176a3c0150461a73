"""A TLS server on loopback with a fresh self-signed certificate, for tests."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: What the server answers once the handshake is done and a request has come.
BODY = b"<p>over TLS, hello</p>"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(BODY), BODY))


@dataclass(frozen=True)
class TLSServer:
    port: int
    certificate: Path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[TLSServer]:
    """Serves :data:`RESPONSE` over TLS to each connection, on 127.0.0.1, with a
    certificate for 127.0.0.1 and localhost that nothing trusts unless told to."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            with conn, contextlib.suppress(OSError), context.wrap_socket(
                    conn, server_side=True) as tls:
                request = b""
                while b"\r\n\r\n" not in request:
                    data = tls.recv(4096)
                    if not data:
                        break
                    request += data
                tls.sendall(RESPONSE)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield TLSServer(int(listener.getsockname()[1]), cert)
    finally:
        stop.set()
        thread.join(2)
        listener.close()
