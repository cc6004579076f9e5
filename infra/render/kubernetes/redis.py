"""Redis as a StatefulSet from the official image: password, AOF on a PersistentVolumeClaim,
probes, limits, and a redis_exporter sidecar so the shared RedisDown alert has its metric."""

from __future__ import annotations

from infra.render.kubernetes.workloads import labels, metadata, selector
from infra.render.observability.metrics import REDIS_EXPORTER_PORT

# renovate: datasource=docker depName=redis
REDIS_IMAGE = "redis:7.4.11-alpine"
# renovate: datasource=docker depName=oliver006/redis_exporter
REDIS_EXPORTER_IMAGE = "oliver006/redis_exporter:v1.81.0"
REDIS_UID = 10999  # any high uid works: redis needs no passwd entry; fsGroup makes /data writable
EXPORTER_UID = 59000  # the exporter image's user
NAME = "redis"
PORT = 6379
PASSWORD_SECRET = "ai-service-redis"  # key REDIS_PASSWORD


def memory_mib(quantity: str) -> int:
    return int(quantity[:-2]) * (1024 if quantity.endswith("Gi") else 1)


def _security(uid: int) -> dict:
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": uid,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _password_env(name: str) -> dict:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": PASSWORD_SECRET, "key": "REDIS_PASSWORD"}}}


def _probe(period: int, failures: int) -> dict:
    # REDISCLI_AUTH keeps the password off the command line.
    return {
        "exec": {"command": ["redis-cli", "ping"]},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def statefulset(ns: str, memory: str, storage_gi: int) -> dict:
    maxmemory_mb = memory_mib(memory) * 8 // 10  # headroom for AOF rewrite buffers and overhead
    redis = {
        "name": "redis",
        "image": REDIS_IMAGE,
        "imagePullPolicy": "Always",  # pinned by tag, not digest: re-check the registry on each start
        # $(VAR) is expanded by the kubelet from the container env (no shell needed).
        "args": [
            "--requirepass",
            "$(REDIS_PASSWORD)",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--dir",
            "/data",
            "--maxmemory",
            f"{maxmemory_mb}mb",
            "--maxmemory-policy",
            "noeviction",
            "--protected-mode",
            "no",
        ],
        "env": [_password_env("REDIS_PASSWORD"), _password_env("REDISCLI_AUTH")],
        "ports": [{"name": "redis", "containerPort": PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "100m", "memory": memory}, "limits": {"cpu": "500m", "memory": memory}},
        "securityContext": _security(REDIS_UID),
        "startupProbe": _probe(5, 24),
        "livenessProbe": _probe(10, 3),
        "readinessProbe": _probe(5, 3),
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    exporter = {
        "name": "exporter",
        "image": REDIS_EXPORTER_IMAGE,
        "imagePullPolicy": "Always",  # pinned by tag, not digest: re-check the registry on each start
        "env": [{"name": "REDIS_ADDR", "value": f"redis://127.0.0.1:{PORT}"}, _password_env("REDIS_PASSWORD")],
        "ports": [{"name": "metrics", "containerPort": REDIS_EXPORTER_PORT, "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
        "securityContext": _security(EXPORTER_UID),
        "livenessProbe": {"httpGet": {"path": "/health", "port": "metrics"}, "periodSeconds": 15, "timeoutSeconds": 3},
        "readinessProbe": {"httpGet": {"path": "/health", "port": "metrics"}, "periodSeconds": 15, "timeoutSeconds": 3},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(NAME, ns, "redis"),
        "spec": {
            "serviceName": NAME,
            "replicas": 1,
            "selector": {"matchLabels": selector("redis")},
            "template": {
                "metadata": {"labels": labels("redis")},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "fsGroup": REDIS_UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "terminationGracePeriodSeconds": 30,
                    "containers": [redis, exporter],
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data", "labels": labels("redis")},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": f"{storage_gi}Gi"}},
                    },
                }
            ],
        },
    }


def service(ns: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(NAME, ns, "redis"),
        "spec": {
            "type": "ClusterIP",
            "selector": selector("redis"),
            "ports": [
                {"name": "redis", "port": PORT, "targetPort": "redis", "protocol": "TCP"},
                {"name": "metrics", "port": REDIS_EXPORTER_PORT, "targetPort": "metrics", "protocol": "TCP"},
            ],
        },
    }


def pdb(ns: str) -> dict:
    # A single replica: allow the drain (Redis restarts from its AOF) rather than block node upgrades.
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(NAME, ns, "redis"),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector("redis")}},
    }


def url_template(ns: str) -> str:
    """REDIS_URL with `{password}` left to fill from the generated secret."""
    return f"redis://:{{password}}@{NAME}.{ns}.svc.cluster.local:{PORT}/0"


def objects(ns: str, memory: str, storage_gi: int) -> list[dict]:
    return [statefulset(ns, memory, storage_gi), service(ns), pdb(ns)]
