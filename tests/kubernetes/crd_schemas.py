"""JSON Schemas for the custom resources we render, following the upstream CRDs' OpenAPI schemas
(Gateway API v1, Envoy Gateway v1alpha1, cert-manager v1, prometheus-operator v1) for the fields
we use, closed with additionalProperties: false so a misspelled or misplaced field fails.
kubernetes-validate only warns on these kinds (it has no CRD schemas), so this is their check."""

from __future__ import annotations

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
# Gateway API's Duration (GEP-2257): up to four `<1-5 digits><h|m|s|ms>` parts, e.g. "1h30m", "300s".
GATEWAY_DURATION = {"type": "string", "pattern": r"^([0-9]{1,5}(h|m|s|ms)){1,4}$"}
DURATION = r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"


def closed(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
METADATA = closed(
    {
        "name": {"type": "string", "pattern": DNS_NAME, "maxLength": 253},
        "namespace": {"type": "string", "pattern": DNS_LABEL},
        "labels": STRING_MAP,
        "annotations": STRING_MAP,
    },
    ("name",),
)
SELECTOR = closed({"matchLabels": STRING_MAP, "matchExpressions": {"type": "array"}})
PARENT_REF = closed(
    {
        "group": {"type": "string"},
        "kind": {"type": "string"},
        "namespace": {"type": "string"},
        "name": {"type": "string", "minLength": 1},
        "sectionName": {"type": "string", "pattern": DNS_LABEL},
        "port": {"type": "integer"},
    },
    ("name",),
)
TARGET_REF = closed(
    {
        "group": {"type": "string"},
        "kind": {"type": "string"},
        "name": {"type": "string"},
        "sectionName": {"type": "string"},
    },
    ("group", "kind", "name"),
)


def resource(api_version: str, kind: str, spec: dict, namespaced: bool = True) -> dict:
    meta = dict(METADATA)
    if namespaced:
        meta = {**meta, "required": ["name", "namespace"]}
    return closed(
        {"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": meta, "spec": spec},
        ("apiVersion", "kind", "metadata", "spec"),
    )


LISTENER = closed(
    {
        "name": {"type": "string", "pattern": DNS_LABEL},
        "hostname": {
            "type": "string",
            "pattern": r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        },
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "protocol": {"enum": ["HTTP", "HTTPS", "TLS", "TCP", "UDP"]},
        "tls": closed(
            {
                "mode": {"enum": ["Terminate", "Passthrough"]},
                "certificateRefs": {
                    "type": "array",
                    "items": closed(
                        {
                            "group": {"type": "string"},
                            "kind": {"type": "string"},
                            "name": {"type": "string"},
                            "namespace": {"type": "string"},
                        },
                        ("name",),
                    ),
                },
            }
        ),
        "allowedRoutes": closed(
            {
                "namespaces": closed({"from": {"enum": ["All", "Same", "Selector"]}, "selector": SELECTOR}),
                "kinds": {"type": "array"},
            }
        ),
    },
    ("name", "port", "protocol"),
)

HTTP_MATCH = closed(
    {
        "path": closed(
            {
                "type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]},
                "value": {"type": "string", "pattern": "^/"},
            }
        ),
        "headers": {"type": "array"},
        "queryParams": {"type": "array"},
        "method": {"type": "string"},
    }
)
# Gateway API v1 HTTPHeaderFilter: set/add (name, value) pairs, remove names; at most 16 each.
HEADER_NAME = {"type": "string", "pattern": r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$", "minLength": 1, "maxLength": 256}
HEADER_PAIRS = {
    "type": "array",
    "maxItems": 16,
    "items": closed(
        {"name": HEADER_NAME, "value": {"type": "string", "minLength": 1, "maxLength": 4096}}, ("name", "value")
    ),
}
HEADER_FILTER = closed(
    {"set": HEADER_PAIRS, "add": HEADER_PAIRS, "remove": {"type": "array", "maxItems": 16, "items": HEADER_NAME}}
)
HTTP_FILTER = closed(
    {
        "responseHeaderModifier": HEADER_FILTER,
        "requestHeaderModifier": HEADER_FILTER,
        "type": {
            "enum": [
                "RequestHeaderModifier",
                "ResponseHeaderModifier",
                "RequestMirror",
                "RequestRedirect",
                "URLRewrite",
                "ExtensionRef",
            ]
        },
        "requestRedirect": closed(
            {
                "scheme": {"enum": ["http", "https"]},
                "hostname": {"type": "string"},
                "path": {"type": "object"},
                "port": {"type": "integer"},
                "statusCode": {"enum": [301, 302, 303, 307, 308]},
            }
        ),
        "urlRewrite": closed(
            {
                "hostname": {"type": "string"},
                "path": closed(
                    {
                        "type": {"enum": ["ReplaceFullPath", "ReplacePrefixMatch"]},
                        "replaceFullPath": {"type": "string", "maxLength": 1024},
                        "replacePrefixMatch": {"type": "string", "maxLength": 1024},
                    },
                    ("type",),
                ),
            }
        ),
    },
    ("type",),
)
BACKEND_REF = closed(
    {
        "group": {"type": "string"},
        "kind": {"type": "string"},
        "name": {"type": "string"},
        "namespace": {"type": "string"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "weight": {"type": "integer"},
    },
    ("name",),
)

SCHEMAS: dict[tuple[str, str], dict] = {
    ("gateway.networking.k8s.io/v1", "GatewayClass"): resource(
        "gateway.networking.k8s.io/v1",
        "GatewayClass",
        closed(
            {
                "controllerName": {"type": "string", "pattern": r"^[a-z0-9.-]+/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$"},
                "description": {"type": "string"},
                "parametersRef": {"type": "object"},
            },
            ("controllerName",),
        ),
        namespaced=False,
    ),
    ("gateway.networking.k8s.io/v1", "Gateway"): resource(
        "gateway.networking.k8s.io/v1",
        "Gateway",
        closed(
            {
                "gatewayClassName": {"type": "string", "minLength": 1},
                "listeners": {"type": "array", "minItems": 1, "maxItems": 64, "items": LISTENER},
                "addresses": {"type": "array"},
                "infrastructure": {"type": "object"},
            },
            ("gatewayClassName", "listeners"),
        ),
    ),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): resource(
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
        closed(
            {
                "parentRefs": {"type": "array", "maxItems": 32, "items": PARENT_REF},
                "hostnames": {"type": "array", "items": {"type": "string"}},
                "rules": {
                    "type": "array",
                    "maxItems": 16,
                    "items": closed(
                        {
                            "name": {"type": "string"},
                            "matches": {"type": "array", "maxItems": 64, "items": HTTP_MATCH},
                            "filters": {"type": "array", "maxItems": 16, "items": HTTP_FILTER},
                            "backendRefs": {"type": "array", "items": BACKEND_REF},
                            "timeouts": closed({"request": GATEWAY_DURATION, "backendRequest": GATEWAY_DURATION}),
                        }
                    ),
                },
            }
        ),
    ),
    ("gateway.envoyproxy.io/v1alpha1", "BackendTrafficPolicy"): resource(
        "gateway.envoyproxy.io/v1alpha1",
        "BackendTrafficPolicy",
        closed(
            {
                "targetRefs": {"type": "array", "minItems": 1, "items": TARGET_REF},
                "requestBuffer": closed(
                    {"limit": {"type": "string", "pattern": r"^[0-9]+(Ki|Mi|Gi|k|M|G)?$"}}, ("limit",)
                ),
            }
        ),
    ),
    ("cert-manager.io/v1", "ClusterIssuer"): resource(
        "cert-manager.io/v1",
        "ClusterIssuer",
        closed(
            {
                "acme": closed(
                    {
                        "server": {"type": "string", "pattern": "^https://"},
                        "email": {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+$"},
                        "privateKeySecretRef": closed(
                            {"name": {"type": "string"}, "key": {"type": "string"}}, ("name",)
                        ),
                        "solvers": {
                            "type": "array",
                            "minItems": 1,
                            "items": closed(
                                {
                                    "selector": {"type": "object"},
                                    "http01": closed(
                                        {
                                            "gatewayHTTPRoute": closed(
                                                {
                                                    "parentRefs": {"type": "array", "minItems": 1, "items": PARENT_REF},
                                                    "labels": STRING_MAP,
                                                    "serviceType": {"type": "string"},
                                                    "podTemplate": {"type": "object"},
                                                }
                                            ),
                                            "ingress": {"type": "object"},
                                        }
                                    ),
                                    "dns01": {"type": "object"},
                                }
                            ),
                        },
                    },
                    ("server", "privateKeySecretRef"),
                )
            },
            ("acme",),
        ),
        namespaced=False,
    ),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): resource(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        closed(
            {
                "jobLabel": {"type": "string"},
                "selector": SELECTOR,
                "namespaceSelector": closed(
                    {"any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}
                ),
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": closed(
                        {
                            "port": {"type": "string"},
                            "path": {"type": "string", "pattern": "^/"},
                            "interval": {"type": "string", "pattern": DURATION},
                            "scrapeTimeout": {"type": "string", "pattern": DURATION},
                            "scheme": {"enum": ["http", "https", "HTTP", "HTTPS"]},
                            "relabelings": {"type": "array"},
                            "metricRelabelings": {"type": "array"},
                        }
                    ),
                },
            },
            ("selector", "endpoints"),
        ),
    ),
    ("monitoring.coreos.com/v1", "PrometheusRule"): resource(
        "monitoring.coreos.com/v1",
        "PrometheusRule",
        closed(
            {
                "groups": {
                    "type": "array",
                    "minItems": 1,
                    "items": closed(
                        {
                            "name": {"type": "string", "minLength": 1},
                            "interval": {"type": "string", "pattern": DURATION},
                            "limit": {"type": "integer"},
                            "rules": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["expr"],
                                    "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                                    "properties": {
                                        "alert": {"type": "string"},
                                        "record": {"type": "string"},
                                        "expr": {"type": ["string", "integer"]},
                                        "for": {"type": "string", "pattern": DURATION},
                                        "keep_firing_for": {"type": "string", "pattern": DURATION},
                                        "labels": STRING_MAP,
                                        "annotations": STRING_MAP,
                                    },
                                },
                            },
                        },
                        ("name",),
                    ),
                }
            },
            ("groups",),
        ),
    ),
}
