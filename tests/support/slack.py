"""A local HTTP server standing in for a Slack incoming webhook: records each POST, answers as told."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FakeSlack:
    url: str
    received: list[dict] = field(default_factory=list)
    status: int = 200  # what the next requests get (Slack answers 200 "ok", 4xx/5xx with a reason)


@contextmanager
def fake_slack(path: str = "/services/T000/B000/SENTINEL") -> Iterator[FakeSlack]:
    state = FakeSlack(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != path or self.headers.get("Content-Type") != "application/json":
                self.send_response(404)
                self.end_headers()
                self.wfile.write(b"no_service")
                return
            if state.status == 200:
                payload = json.loads(body)
                if not isinstance(payload.get("text"), str) or not payload["text"]:
                    self.send_response(400)  # what Slack answers a body without text
                    self.end_headers()
                    self.wfile.write(b"no_text")
                    return
                state.received.append(payload)
            self.send_response(state.status)
            self.end_headers()
            self.wfile.write(b"ok" if state.status == 200 else b"rollup_error")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
