"""The local nginx.conf (the droplet's renderer) under real nginx: /docs works, the API keeps the strict CSP."""

from __future__ import annotations

import re
import subprocess
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.openapi.docs import get_swagger_ui_html

from infra.render.nginx import DOCS_CSP, SECURITY_HEADERS
from tests.fixtures.services import free_port, wait_until
from tests.support.tools import require_tool


def _directive(csp: str, name: str) -> set[str]:
    for part in csp.split(";"):
        words = part.split()
        if words and words[0] == name:
            return set(words[1:])
    return set()


class _Resources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.styles, self.images, self.inline_script = set(), set(), set(), False
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            if a.get("src"):
                self.scripts.add(a["src"])
            else:
                self._in_script = True
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.styles.add(a["href"])
        elif tag == "link" and "icon" in (a.get("rel") or ""):
            self.images.add(a["href"])

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_script = True

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_docs_csp_allows_what_fastapis_swagger_page_loads():
    page = _Resources()
    page.feed(get_swagger_ui_html(openapi_url="/openapi.json", title="ai-service").body.decode())
    assert page.scripts and page.styles and page.inline_script
    assert {_origin(u) for u in page.scripts} | {"'unsafe-inline'"} <= _directive(DOCS_CSP, "script-src")
    assert {_origin(u) for u in page.styles} <= _directive(DOCS_CSP, "style-src")
    assert {_origin(u) for u in page.images} <= _directive(DOCS_CSP, "img-src")
    assert _directive(DOCS_CSP, "connect-src") == {"'self'"} and _directive(DOCS_CSP, "frame-ancestors") == {"'none'"}


class _App(BaseHTTPRequestHandler):
    """Stands in for the API replicas: answers every path, with the app's own CSP header."""

    def do_GET(self):  # noqa: N802
        body = b"<html>docs</html>" if self.path == "/docs" else b"{}"
        self.send_response(200)
        self.send_header("content-type", "text/html" if self.path == "/docs" else "application/json")
        self.send_header("content-security-policy", "frame-ancestors 'none'")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def edge(local, tmp_path: Path):
    nginx = require_tool("nginx", "apt-get install -y nginx")
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    text = re.sub(r"server api-\d+:8000", f"server 127.0.0.1:{upstream.server_port}", local.artifacts["nginx/nginx.conf"])
    text = text.replace("user nginx;\n", "").replace("/var/cache/nginx", str(tmp_path))
    text = text.replace("/var/run/nginx.pid", str(tmp_path / "nginx.pid")).replace("listen 80 ", f"listen 127.0.0.1:{port} ")
    text = text.replace("access_log /dev/stdout", f"access_log {tmp_path / 'access.log'}")
    (tmp_path / "nginx.conf").write_text(text)
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log"),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: proc.poll() is not None or _answers(port), timeout=15, what="nginx")
        assert proc.poll() is None, proc.stderr.read().decode()
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        upstream.shutdown()


def _answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5)
        return True
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def local(plan_stack):
    return plan_stack("local")


def test_local_edge_serves_docs_with_the_docs_csp_and_the_api_with_the_strict_one(edge):
    docs = httpx.get(f"{edge}/docs")
    assert docs.status_code == 200 and docs.text == "<html>docs</html>"
    assert docs.headers.get_list("content-security-policy") == [DOCS_CSP]
    assert docs.headers["x-frame-options"] == "DENY"
    for path in ("/api/v1/search?q=x", "/openapi.jsonx", "/docsx"):
        api = httpx.get(f"{edge}{path}")
        assert api.headers.get_list("content-security-policy") == [SECURITY_HEADERS["Content-Security-Policy"]], path
    assert httpx.get(f"{edge}/metrics").status_code == 404
