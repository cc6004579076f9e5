"""`pulumi up` waits until the droplet's /health reports the released image (pull-based deploys)."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from infra.components.dockerhost.live_version import NOT_REPORTED, wait_until_live
from infra.render.dockerhost.topology import image_version

DIGEST = "registry.digitalocean.com/ai-service/ai-service@sha256:" + "c0ffee" * 10 + "abcd"


class _Health:
    """A /health endpoint whose version flips to the new one after a few polls."""

    def __init__(self, versions: list[str]):
        self.versions = versions
        self.polls = 0
        health = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                version = health.versions[min(health.polls, len(health.versions) - 1)]
                health.polls += 1
                # None: an app of its own whose liveness answer carries no version
                body = json.dumps({"status": "ok"} | ({"version": version} if version else {})).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/health"


@pytest.fixture
def health():
    servers = []

    def start(versions):
        servers.append(_Health(versions))
        return servers[-1]

    yield start
    for s in servers:
        s.server.shutdown()


def test_returns_once_the_new_version_is_live(health):
    endpoint = health(["sha256:old", "sha256:old", image_version(DIGEST)])
    assert asyncio.run(wait_until_live(endpoint.url, image_version(DIGEST), timeout_s=10, interval_s=0.05))
    assert endpoint.polls == 3


def test_fails_naming_what_the_host_still_serves(health):
    endpoint = health(["sha256:old"])
    with pytest.raises(RuntimeError, match="reports 'sha256:old', not 'sha256:c0ffee"):
        asyncio.run(wait_until_live(endpoint.url, image_version(DIGEST), timeout_s=0.3, interval_s=0.05))


def test_an_app_that_reports_no_version_is_live_at_its_first_answer(health):
    endpoint = health([None])
    assert asyncio.run(wait_until_live(endpoint.url, image_version(DIGEST), timeout_s=10, interval_s=0.05)) == (
        NOT_REPORTED
    )
    assert endpoint.polls == 1


def test_health_reports_the_image_digest_the_release_deploys(plan_stack):
    result = plan_stack("dev", image=DIGEST)
    manifest = next(o for o in result.find("BucketObjectv2") if o.inputs["key"] == "releases/manifest.json")
    compose = yaml.safe_load(json.loads(manifest.inputs["content"])["files"]["compose.yaml"])
    assert compose["services"]["api-1"]["environment"]["APP_VERSION"] == "sha256:c0ffeec0ffee"
    assert result.outputs["liveVersion"] == "not checked (preview or offline plan)"
