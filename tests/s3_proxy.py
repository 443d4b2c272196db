"""A fault-injecting reverse proxy on loopback, in front of a real S3-protocol server (moto).

Every request is forwarded unchanged unless ``fault`` says otherwise for it: answer with an S3
error (``500``, ``503``, ``SlowDown``), refuse the credentials (``denied``), or read part of the
request body and drop the connection (``drop``). Requests are recorded, so tests can count what
a run really sent, and ``observe`` sees each one once it is answered.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "Please reduce your request rate."),
    "SlowDown": (503, "SlowDown", "Please reduce your request rate."),
    "denied": (403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    answer: str  # "forwarded", or the fault injected


Fault = Callable[[str, str, int], str | None]  # (method, path, how many requests came before) -> fault or None


class FaultProxy:
    """Listens on 127.0.0.1 (``url``) and forwards to ``upstream`` (host, port)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.fault: Fault = lambda method, path, count: None
        self.observe: Callable[[Request], None] = lambda request: None  # called after each answer
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self, method: str, suffix: str = "", answer: str = "forwarded") -> int:
        """Requests with this method whose path (query left out) ends with ``suffix``, answered so."""
        return sum(
            1
            for r in self.requests
            if r.method == method and r.path.split("?")[0].endswith(suffix) and r.answer == answer
        )

    def _decide(self, method: str, path: str) -> str | None:
        with self._lock:
            return self.fault(method, path, len(self.requests))

    def _record(self, method: str, path: str, answer: str) -> None:
        request = Request(method, path, answer)
        with self._lock:
            self.requests.append(request)
        self.observe(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _body(self, limit: int | None = None) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                        data += self.rfile.read(size)
                        self.rfile.readline()
                        if limit is not None and len(data) >= limit:
                            return data
                    self.rfile.readline()
                    return data
                length = int(self.headers.get("Content-Length", 0))
                return self.rfile.read(length if limit is None else min(length, limit))

            def _handle(self) -> None:
                fault = proxy._decide(self.command, self.path)
                if fault == "drop":
                    self._body(limit=max(1, int(self.headers.get("Content-Length", 2)) // 2))
                    proxy._record(self.command, self.path, "drop")
                    self.close_connection = True
                    self.connection.shutdown(2)  # no response: the connection is gone mid-request
                    return
                body = self._body()
                if fault is not None:
                    status, code, message = _ERRORS[fault]
                    xml = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
                    proxy._record(self.command, self.path, fault)  # before the client can see the answer
                    self._reply(status, {"Content-Type": "application/xml"}, xml.encode())
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["Content-Length"] = str(len(body))
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                    kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
                finally:
                    connection.close()
                proxy._record(self.command, self.path, "forwarded")  # before the client can see the answer
                self._reply(response.status, kept, data)

            def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                if self.command != "HEAD":  # a HEAD answer keeps the object's length and has no body
                    headers = {
                        **{k: v for k, v in headers.items() if k.lower() != "content-length"},
                        "Content-Length": str(len(data)),
                    }
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        return Handler
