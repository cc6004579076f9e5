"""Accessories on Kubernetes: an extra container next to the service, as isolated as the service.

    api, workers ──port──> <name> Service ──> <name> Deployment (no volumes) | StatefulSet (a PVC per volume)
    gateway ──/<name>/──> <name> Service      only when `public` (the HTTPRoute is in edge.py)
    <name> ──8000──> ai-service-api Service   only when `callsApi` (AI_SERVICE_API_URL; network.py lets it)

Nothing here reads the service's image, config or Secrets, so a service release leaves the
accessory's objects, and so its pods, untouched. `secretEnv` goes into the accessory's own
Secret (the stack fills it with Pulumi secrets); the manifests only reference it.
"""

from __future__ import annotations

from typing import Any

from infra.render.kubernetes.workloads import (
    cpu_quantity,
    labels,
    metadata,
    resource_limits,
    security_context,
    selector,
    service_account,
)
from infra.render.observability.metrics import API_PORT
from infra.settings.extras import API_URL_ENV, Accessory

COMPONENT = "accessory"
UID = 10002  # forced high uid (the restricted PSS needs non-root; images often say USER root or a name)
PORT_NAME = "app"
# Third-party images write where their authors chose (caches, pid files, sqlite next to the binary);
# the restricted PSS does not require a read-only root, so it stays writable for them.
WRITABLE_ROOT = "CKV_K8S_22=third-party image writes outside its volumes; restricted PSS is enforced"
NO_PROBE = (
    "CKV_K8S_8=no port to probe; the kubelet restarts the container when it exits",
    "CKV_K8S_9=no port and no Service; nothing routes to it",
)


def secret_name(accessory: Accessory) -> str:
    return f"{accessory.name}-env"


def url(accessory: Accessory, namespace: str) -> str:
    """What the service's ACCESSORY_<NAME>_URL holds (the accessory must have a port)."""
    return f"http://{accessory.name}.{namespace}.svc.cluster.local:{accessory.port}"


def api_host(namespace: str) -> str:
    """The API's ClusterIP Service name (the API accepts it as an internal host when an accessory calls it)."""
    return f"ai-service-api.{namespace}.svc.cluster.local"


def api_url(namespace: str, api_port: int = API_PORT) -> str:
    """What an accessory with `callsApi` gets as AI_SERVICE_API_URL: the API's ClusterIP Service."""
    return f"http://{api_host(namespace)}:{api_port}"


def _tcp_probe(period: int, failures: int) -> dict:
    return {
        "tcpSocket": {"port": PORT_NAME},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def container(accessory: Accessory, namespace: str, api_port: int = API_PORT) -> dict:
    pinned_by_digest = "@sha256:" in accessory.image
    out: dict[str, Any] = {
        "name": accessory.name,
        "image": accessory.image,
        # A tag can move under us: re-check the registry on each start (a digest cannot).
        "imagePullPolicy": "IfNotPresent" if pinned_by_digest else "Always",
    }
    if accessory.command:
        out["args"] = list(accessory.command)  # the image's ENTRYPOINT stays
    env = {**accessory.env, **({API_URL_ENV: api_url(namespace, api_port)} if accessory.calls_api else {})}
    if env:
        out["env"] = [{"name": k, "value": v} for k, v in sorted(env.items())]
    if accessory.secret_env:
        out["envFrom"] = [{"secretRef": {"name": secret_name(accessory)}}]
    if accessory.port:
        out["ports"] = [{"name": PORT_NAME, "containerPort": accessory.port, "protocol": "TCP"}]
        # Startup gives a slow first boot (migrations, key generation) 5 min before liveness counts.
        out |= {
            "startupProbe": _tcp_probe(5, 60),
            "livenessProbe": _tcp_probe(10, 3),
            "readinessProbe": _tcp_probe(5, 3),
        }
    out["resources"] = resource_limits(cpu_quantity(accessory.cpu), f"{accessory.memory}Mi")
    out["securityContext"] = security_context(UID, read_only_root=False)
    if accessory.volumes:
        out["volumeMounts"] = [{"name": v.name, "mountPath": v.path} for v in accessory.volumes]
    return out


def _pod(accessory: Accessory, namespace: str, api_port: int) -> dict:
    return {
        "metadata": {"labels": labels(COMPONENT, accessory.name)},
        "spec": {
            "serviceAccountName": accessory.name,
            "automountServiceAccountToken": False,
            # Service links would inject REDIS_PORT=tcp://… and the like into a container that did not ask.
            "enableServiceLinks": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": UID,
                "runAsGroup": UID,
                "fsGroup": UID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "terminationGracePeriodSeconds": 30,
            "containers": [container(accessory, namespace, api_port)],
        },
    }


def _skips(accessory: Accessory) -> dict:
    """checkov skips of this workload only, each with its reason (docs/accessories.md: On Kubernetes)."""
    reasons = (WRITABLE_ROOT,) + (() if accessory.port else NO_PROBE)
    return {f"checkov.io/skip{i}": reason for i, reason in enumerate(reasons, 1)}


def workload(accessory: Accessory, namespace: str, api_port: int = API_PORT) -> dict:
    """One replica: a third-party container is rarely safe to run twice (and a ReadWriteOnce volume cannot)."""
    meta = metadata(accessory.name, namespace, COMPONENT, accessory.name, annotations=_skips(accessory))
    spec: dict[str, Any] = {
        "replicas": 1,
        "selector": {"matchLabels": selector(COMPONENT, accessory.name)},
        "template": _pod(accessory, namespace, api_port),
    }
    if not accessory.volumes:
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta,
            "spec": {
                **spec,
                "revisionHistoryLimit": 5,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            },
        }
    if accessory.port:
        spec["serviceName"] = accessory.name
    spec["volumeClaimTemplates"] = [
        {
            "metadata": {"name": v.name, "labels": labels(COMPONENT, accessory.name)},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{v.size_gi}Gi"}}},
        }
        for v in accessory.volumes
    ]
    # The claims (the accessory's data) outlive the StatefulSet, whatever removes it.
    spec["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Retain", "whenScaled": "Retain"}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta, "spec": spec}


def service(accessory: Accessory, namespace: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(accessory.name, namespace, COMPONENT, accessory.name),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(COMPONENT, accessory.name),
            "ports": [{"name": PORT_NAME, "port": accessory.port, "targetPort": PORT_NAME, "protocol": "TCP"}],
        },
    }


def objects(accessory: Accessory, namespace: str, api_port: int = API_PORT) -> list[dict]:
    """Everything of one accessory except its Secret (the stack creates it from Pulumi secrets)."""
    objs = [service_account(accessory.name, namespace, COMPONENT), workload(accessory, namespace, api_port)]
    if accessory.port:
        objs.append(service(accessory, namespace))
    return objs
