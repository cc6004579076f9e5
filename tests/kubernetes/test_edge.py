"""Traffic in: TLS Gateway with a Let's Encrypt issuer, HTTP→HTTPS, only the API routed, body limit."""

from __future__ import annotations

from infra.render.kubernetes import edge
from tests.kubernetes.conftest import find

MAX_UPLOAD = 10 * 1024 * 1024  # maxUploadBytes default


def test_gateway_terminates_tls_with_a_cert_manager_certificate(objects):
    gateway = find(objects, "Gateway", edge.GATEWAY)
    assert gateway["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == edge.ISSUER
    listeners = {item["name"]: item for item in gateway["spec"]["listeners"]}
    assert (listeners["https"]["port"], listeners["https"]["protocol"]) == (443, "HTTPS")
    assert listeners["https"]["tls"]["certificateRefs"] == [{"kind": "Secret", "name": edge.TLS_SECRET}]
    assert all(item["hostname"] == "api.example.com" for item in listeners.values())
    issuer = find(objects, "ClusterIssuer", edge.ISSUER)["spec"]["acme"]
    assert issuer["server"] == edge.ACME_SERVERS["production"] and issuer["email"] == "ops@example.com"
    assert issuer["solvers"][0]["http01"]["gatewayHTTPRoute"]["parentRefs"][0]["sectionName"] == "http"


def test_plain_http_only_redirects_to_https(objects):
    routes = [o for o in objects if o["kind"] == "HTTPRoute"]
    on_http = [r for r in routes if any(p["sectionName"] == "http" for p in r["spec"]["parentRefs"])]
    assert len(on_http) == 1
    rule = on_http[0]["spec"]["rules"][0]
    assert "backendRefs" not in rule
    assert rule["filters"] == [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]


def test_only_the_api_and_liveness_are_public_never_metrics(objects):
    route = find(objects, "HTTPRoute", "ai-service-api")
    matches = [m["path"] for rule in route["spec"]["rules"] for m in rule["matches"]]
    assert matches == [{"type": "PathPrefix", "value": "/api/"}, {"type": "Exact", "value": "/health"}]
    for path in ("/metrics", "/health/ready", "/docs", "/"):
        assert not any(_matches(m, path) for m in matches), path
    assert _matches(matches[0], "/api/v1/documents")


def _matches(match: dict, path: str) -> bool:
    if match["type"] == "Exact":
        return path == match["value"]
    prefix = match["value"].rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


def test_gateway_rejects_bodies_beyond_the_upload_limit(objects):
    policy = find(objects, "BackendTrafficPolicy")
    assert policy["spec"]["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "ai-service-api"}
    ]
    limit = int(policy["spec"]["requestBuffer"]["limit"])
    # The service answers the exact limit itself; the gateway only adds room for multipart framing.
    assert MAX_UPLOAD < limit <= MAX_UPLOAD + 128 * 1024
