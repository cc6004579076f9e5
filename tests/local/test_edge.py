"""The local nginx.conf (the droplet's renderer) under real nginx: /docs works, the API keeps the strict CSP,
a public accessory answers under /<name>/ with its own CSP and a private one is not routed; an accessory
that calls the API reaches it on the internal listener."""

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
import yaml
from fastapi.openapi.docs import get_swagger_ui_html

from infra.render.dockerhost.nginx import DOCS_CSP, SECURITY_HEADERS
from infra.render.dockerhost.topology import INTERNAL_API_PORT
from infra.settings.extras import ACCESSORY_CSP
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
        if self.path == "/api/v1/whoami":  # what the service would see of the request
            seen = {"host": self.headers["host"], "proto": self.headers["x-forwarded-proto"]}
            body = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html" if self.path == "/docs" else "application/json")
        self.send_header("content-security-policy", "frame-ancestors 'none'")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Accessory(BaseHTTPRequestHandler):
    """Stands in for a public accessory: echoes the path it was asked for, with a policy of its own."""

    def do_GET(self):  # noqa: N802
        body = json.dumps({"accessory": "helpdesk", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-security-policy", UPSTREAM_POLICY)
        self.send_header("x-frame-options", "SAMEORIGIN")
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


UPSTREAM_POLICY = "default-src 'self' https://cdn.example.net"


@contextmanager
def _nginx(
    conf_text: str, upstreams: dict[str, int], tmp_path: Path, also: dict[str, str] | None = None
) -> Iterator[str]:
    """The rendered nginx.conf under real nginx; `upstreams`: container name -> local port standing in for it;
    `also`: more text replacements (other listeners, certificate paths)."""
    nginx = require_tool("nginx", "apt-get install -y nginx")
    port = free_port()
    for old, new in (also or {}).items():
        conf_text = conf_text.replace(old, new)
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
        # The edge's headers, each once; the policy is the accessory one (a UI may run its own scripts).
        for name, value in {**SECURITY_HEADERS, "Content-Security-Policy": ACCESSORY_CSP}.items():
            assert routed.headers.get_list(name) == [value], name
        api = httpx.get(f"{url}/api/v1/search?q=x")
        assert api.headers.get_list("content-security-policy") == [SECURITY_HEADERS["Content-Security-Policy"]]
        bare = httpx.get(f"{url}/helpdesk")
        assert bare.status_code == 301 and bare.headers["location"].endswith("/helpdesk/")
        # The private accessory has no route: /gateway/ is the API's path space like any other.
        assert httpx.get(f"{url}/gateway/anything").text == "{}"


def test_accessory_csp_is_its_own_setting_or_the_upstreams_header(plan_stack, tmp_path):
    custom = {**HELPDESK, "name": "chat", "csp": "default-src 'self'; script-src 'self' 'unsafe-inline'"}
    passed = {**HELPDESK, "csp": "upstream"}
    conf = plan_stack("local", accessories=[passed, custom]).artifacts["nginx/nginx.conf"]
    with (
        _serve(_App) as api,
        _serve(_Accessory) as accessory,
        _nginx(conf, {"api": api, "helpdesk": accessory, "chat": accessory}, tmp_path) as url,
    ):
        own = httpx.get(f"{url}/helpdesk/")
        assert own.headers.get_list("content-security-policy") == [UPSTREAM_POLICY]
        # Only the policy is the accessory's: every other edge header still replaces the upstream's copy.
        assert own.headers.get_list("x-frame-options") == ["DENY"]
        assert own.headers.get_list("x-content-type-options") == ["nosniff"]
        chat = httpx.get(f"{url}/chat/")
        assert chat.headers.get_list("content-security-policy") == [custom["csp"]]
        assert chat.headers.get_list("x-frame-options") == ["DENY"]
        api = httpx.get(f"{url}/api/v1/search?q=x")
        assert api.headers.get_list("content-security-policy") == [SECURITY_HEADERS["Content-Security-Policy"]]


def test_an_accessory_that_calls_the_api_reaches_it_on_the_internal_listener(plan_stack, tmp_path):
    plan = plan_stack("local", accessories=[{**GATEWAY, "callsApi": True}, HELPDESK])
    compose = yaml.safe_load(plan.artifacts["compose.yaml"])["services"]
    assert compose["gateway"]["environment"]["AI_SERVICE_API_URL"] == f"http://nginx:{INTERNAL_API_PORT}"
    assert "AI_SERVICE_API_URL" not in compose["helpdesk"].get("environment", {})
    assert {p.rsplit(":", 1)[1] for p in compose["nginx"]["ports"]} == {"80"}  # the internal one is never published
    internal = free_port()
    with (
        _serve(_App) as api,
        _serve(_Accessory) as helpdesk,
        _nginx(
            plan.artifacts["nginx/nginx.conf"],
            {"api": api, "helpdesk": helpdesk},
            tmp_path,
            also={f"listen {INTERNAL_API_PORT};": f"listen 127.0.0.1:{internal};"},
        ),
    ):
        base = f"http://127.0.0.1:{internal}"
        assert httpx.get(f"{base}/api/v1/whoami", headers={"host": "nginx"}).json() == {
            "host": "nginx",
            "proto": "http",
        }
        # Webhooks in a burst: no per-client rate limit here (the public listener answers 429 past 20).
        assert {httpx.post(f"{base}/api/v1/webhook").status_code for _ in range(40)} == {501}
        assert httpx.get(f"{base}/metrics").status_code == 404
        assert httpx.get(f"{base}/helpdesk/x").text == "{}"  # the API only: no accessory routes


def test_no_internal_listener_without_an_accessory_that_calls_the_api(plan_stack):
    conf = plan_stack("local", accessories=[GATEWAY, HELPDESK]).artifacts["nginx/nginx.conf"]
    assert f"listen {INTERNAL_API_PORT}" not in conf
