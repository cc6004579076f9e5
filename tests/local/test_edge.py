"""The local nginx.conf (the droplet's renderer) under real nginx: /docs works, the API keeps the strict CSP,
a public accessory answers under /<name>/ and a private one is not routed."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.openapi.docs import get_swagger_ui_html

from infra.render.dockerhost.nginx import DOCS_CSP, SECURITY_HEADERS
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


class _Accessory(BaseHTTPRequestHandler):
    """Stands in for a public accessory: echoes the path it was asked for."""

    def do_GET(self):  # noqa: N802
        body = json.dumps({"accessory": "helpdesk", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def _serve(handler) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port
    finally:
        server.shutdown()


@contextmanager
def _nginx(conf_text: str, upstreams: dict[str, int], tmp_path: Path) -> Iterator[str]:
    """The rendered nginx.conf under real nginx; `upstreams`: container name -> local port standing in for it."""
    nginx = require_tool("nginx", "apt-get install -y nginx")
    port = free_port()
    text = re.sub(
        r"server (api-\d+|[a-z0-9-]+):\d+ max_fails",
        lambda m: f"server 127.0.0.1:{upstreams['api' if m[1].startswith('api-') else m[1]]} max_fails",
        conf_text,
    )
    text = text.replace("user nginx;\n", "").replace("/var/cache/nginx", str(tmp_path))
    text = text.replace("/var/run/nginx.pid", str(tmp_path / "nginx.pid")).replace(
        "listen 80 ", f"listen 127.0.0.1:{port} "
    )
    text = text.replace("access_log /dev/stdout", f"access_log {tmp_path / 'access.log'}")
    (tmp_path / "nginx.conf").write_text(text)
    proc = subprocess.Popen(
        [
            nginx,
            "-p",
            str(tmp_path),
            "-c",
            str(tmp_path / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: proc.poll() is not None or _answers(port), timeout=15, what="nginx")
        assert proc.poll() is None, proc.stderr.read().decode()
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def edge(local, tmp_path: Path):
    with _serve(_App) as api, _nginx(local.artifacts["nginx/nginx.conf"], {"api": api}, tmp_path) as url:
        yield url


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


HELPDESK = {"name": "helpdesk", "image": "ghcr.io/example/helpdesk:2.0.1", "port": 8080, "public": True}
GATEWAY = {"name": "gateway", "image": "ghcr.io/example/wa-gateway:1.4.2", "port": 3000}


def test_public_accessory_is_served_under_its_prefix_and_a_private_one_is_not(plan_stack, tmp_path):
    conf = plan_stack("local", accessories=[HELPDESK, GATEWAY]).artifacts["nginx/nginx.conf"]
    with (
        _serve(_App) as api,
        _serve(_Accessory) as helpdesk,
        _nginx(conf, {"api": api, "helpdesk": helpdesk}, tmp_path) as url,
    ):  # no upstream for gateway
        routed = httpx.get(f"{url}/helpdesk/tickets/7?full=1")
        assert routed.status_code == 200
        assert routed.json() == {"accessory": "helpdesk", "path": "/tickets/7?full=1"}  # prefix stripped
        for name, value in SECURITY_HEADERS.items():
            assert routed.headers.get_list(name) == [value], name
        bare = httpx.get(f"{url}/helpdesk")
        assert bare.status_code == 301 and bare.headers["location"].endswith("/helpdesk/")
        # The private accessory has no route: /gateway/ is the API's path space like any other.
        assert httpx.get(f"{url}/gateway/anything").text == "{}"
