"""A small threaded HTTP server for the provider emulators: records every request, answers
through the subclass's ``answer``, and can be ``down`` (503) or slow (``delay_s``)."""
from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class Request:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.method, self.headers, self.body = method, headers, body
        parts = urlsplit(path)
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class Emulator(ABC):
    def __init__(self, delay_s: float = 0.0):
        self.delay_s = delay_s
        self.down = False
        self.fail_next: list[str] = []  # provider error codes to answer next, in order
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @abstractmethod
    def answer(self, request: Request) -> tuple[int, Any]:
        """The provider's answer to one request (status, JSON body): each emulator's own."""

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Emulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, self.path,
                                  {k.lower(): v for k, v in self.headers.items()},
                                  self.rfile.read(length))
                if emulator.down:
                    status, body = 503, {"message": "Service Unavailable"}
                else:
                    with emulator.lock:
                        emulator.requests.append(request)
                        status, body = emulator.answer(request)
                if emulator.delay_s:
                    time.sleep(emulator.delay_s)
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve  # noqa: N815 - http.server's names

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def take_failure(self) -> str | None:
        return self.fail_next.pop(0) if self.fail_next else None
