"""Traffic in: GatewayClass, Gateway (HTTP + HTTPS), HTTPRoutes, the request body limit, and the
Let's Encrypt ClusterIssuer that cert-manager uses for the Gateway's certificate.

Only `/api/…`, the liveness path (`/health`) and `/<name>/…` of each `public` accessory are routed:
`/metrics` (and anything else) gets the gateway's 404. Port 80 answers only the HTTP→HTTPS redirect
and cert-manager's ACME HTTP-01 challenges. The API route waits `requestTimeoutS` for a response
(Envoy's own default, 15 s, would cut long requests).
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.contract import HEALTH_PATH
from infra.render.kubernetes.workloads import metadata
from infra.render.observability.metrics import API_PORT
from infra.settings.extras import Accessory

GATEWAY = "ai-service"
TLS_SECRET = "ai-service-tls"
ISSUER = "letsencrypt"
ENVOY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
ACME_SERVERS = {
    "production": "https://acme-v02.api.letsencrypt.org/directory",
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
# Multipart framing around the file: the service applies the exact MAX_UPLOAD_BYTES itself and
# answers with its JSON error; the gateway only stops what can never be valid.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class EdgeSpec:
    namespace: str
    domain: str
    email: str
    gateway_class: str
    acme_server: str
    max_upload_bytes: int
    create_gateway_class: bool = True
    accessories: tuple[Accessory, ...] = ()  # the `public` ones get a route
    api_port: int = API_PORT  # the API Service's port
    health_path: str = HEALTH_PATH  # the liveness path, routed for outside uptime checks
    request_timeout_s: int = 60


def gateway_class(spec: EdgeSpec) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": spec.gateway_class},
        "spec": {"controllerName": ENVOY_CONTROLLER},
    }


def gateway(spec: EdgeSpec) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        # cert-manager's gateway-shim issues the listener's certificate from this annotation.
        "metadata": metadata(
            GATEWAY, spec.namespace, "gateway", annotations={"cert-manager.io/cluster-issuer": ISSUER}
        ),
        "spec": {
            "gatewayClassName": spec.gateway_class,
            "listeners": [
                {
                    "name": "http",
                    "protocol": "HTTP",
                    "port": 80,
                    "hostname": spec.domain,
                    "allowedRoutes": {"namespaces": {"from": "Same"}},
                },
                {
                    "name": "https",
                    "protocol": "HTTPS",
                    "port": 443,
                    "hostname": spec.domain,
                    "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": TLS_SECRET}]},
                    "allowedRoutes": {"namespaces": {"from": "Same"}},
                },
            ],
        },
    }


def _parent(spec: EdgeSpec, section: str) -> dict:
    return {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": GATEWAY,
        "namespace": spec.namespace,
        "sectionName": section,
    }


def redirect_route(spec: EdgeSpec) -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": metadata("ai-service-https-redirect", spec.namespace, "gateway"),
        "spec": {
            "parentRefs": [_parent(spec, "http")],
            "hostnames": [spec.domain],
            "rules": [
                {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
            ],
        },
    }


def api_route(spec: EdgeSpec) -> dict:
    backend = [{"group": "", "kind": "Service", "name": "ai-service-api", "port": spec.api_port}]
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": metadata("ai-service-api", spec.namespace, "gateway"),
        "spec": {
            "parentRefs": [_parent(spec, "https")],
            "hostnames": [spec.domain],
            "rules": [
                {
                    "matches": [
                        {"path": {"type": "PathPrefix", "value": "/api/"}},
                        {"path": {"type": "Exact", "value": spec.health_path}},
                    ],
                    "backendRefs": backend,
                    # The whole request, from the gateway's first byte in to the last byte out.
                    "timeouts": {"request": f"{spec.request_timeout_s}s"},
                }
            ],
        },
    }


def accessory_route(spec: EdgeSpec, accessory: Accessory) -> dict:
    """`/<name>/x` reaches the accessory as `/x`: it serves from its own root, unaware of the prefix.
    The gateway sets the accessory's Content-Security-Policy (replacing the upstream's) unless `csp: upstream`."""
    filters: list[dict] = [
        {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}
    ]
    if not accessory.passes_csp:
        filters.append(
            {
                "type": "ResponseHeaderModifier",
                "responseHeaderModifier": {"set": [{"name": "Content-Security-Policy", "value": accessory.csp}]},
            }
        )
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": metadata(f"accessory-{accessory.name}", spec.namespace, "gateway"),
        "spec": {
            "parentRefs": [_parent(spec, "https")],
            "hostnames": [spec.domain],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": f"/{accessory.name}/"}}],
                    "filters": filters,
                    "backendRefs": [{"group": "", "kind": "Service", "name": accessory.name, "port": accessory.port}],
                }
            ],
        },
    }


def body_limit(spec: EdgeSpec) -> dict:
    """Envoy Gateway's request buffer: bodies over the limit get 413 before reaching a pod."""
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "BackendTrafficPolicy",
        "metadata": metadata("ai-service-body-limit", spec.namespace, "gateway"),
        "spec": {
            "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "ai-service-api"}],
            "requestBuffer": {"limit": str(spec.max_upload_bytes + MULTIPART_OVERHEAD_BYTES)},
        },
    }


def cluster_issuer(spec: EdgeSpec) -> dict:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": ISSUER},
        "spec": {
            "acme": {
                "server": ACME_SERVERS[spec.acme_server],
                "email": spec.email,
                "privateKeySecretRef": {"name": f"{ISSUER}-account-key"},
                "solvers": [{"http01": {"gatewayHTTPRoute": {"parentRefs": [_parent(spec, "http")]}}}],
            }
        },
    }


def objects(spec: EdgeSpec) -> list[dict]:
    objs = [gateway_class(spec)] if spec.create_gateway_class else []
    routes = [accessory_route(spec, a) for a in spec.accessories if a.public]
    return objs + [
        gateway(spec),
        redirect_route(spec),
        api_route(spec),
        *routes,
        body_limit(spec),
        cluster_issuer(spec),
    ]
