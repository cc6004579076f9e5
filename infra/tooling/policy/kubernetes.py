"""Kubernetes rules (target kubernetes, or any stack that creates pulumi_kubernetes workloads):
non-root restricted containers with limits and probes, no host namespaces, pinned images, and
no Deployment whose replica count an HPA owns."""

from __future__ import annotations

from collections.abc import Iterable

from infra.tooling.policy.base import OPEN_WORLD, SECRET_NAME, Level, ResourceRule, ResourceView, Risk, StackRule

PREFIX = "kubernetes:"
# Kinds, whatever the API group/version (apps/v1, apps/v1beta2, extensions/v1beta1, batch/v1beta1…).
LONG_RUNNING_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}
WORKLOAD_KINDS = LONG_RUNNING_KINDS | {"Job", "CronJob", "Pod"}
HPA_KIND = "HorizontalPodAutoscaler"
# Ports of data stores and admin UIs that have no business on a public load balancer.
DATA_STORE_PORTS = {5432, 3306, 6379, 27017, 9200, 9300, 11211, 5672, 15672, 9042, 26257, 2379, 8086, 9000, 9090, 9093}
DATA_STORE_WORDS = (
    "postgres",
    "mysql",
    "mariadb",
    "redis",
    "valkey",
    "mongo",
    "elasticsearch",
    "opensearch",
    "memcached",
    "rabbitmq",
    "cassandra",
    "etcd",
    "minio",
    "prometheus",
    "alertmanager",
)


def _kind(view: ResourceView) -> str:
    return view.type.rsplit(":", 1)[-1] if view.type.startswith(PREFIX) else ""


def _pod_spec(view: ResourceView) -> dict | None:
    kind = _kind(view)
    if kind not in WORKLOAD_KINDS:
        return None
    spec = view.props.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec") or {}


def _containers(pod: dict) -> list[dict]:
    return [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]


def _non_root(view: ResourceView) -> Iterable[str]:
    pod = _pod_spec(view)
    if pod is None:
        return
    pod_non_root = (pod.get("securityContext") or {}).get("runAsNonRoot") is True
    for c in _containers(pod):
        sc = c.get("securityContext") or {}
        if not (sc.get("runAsNonRoot") is True or (pod_non_root and sc.get("runAsNonRoot") is not False)):
            yield f"container {c.get('name')} may run as root: set runAsNonRoot: true"
        if sc.get("privileged") or sc.get("allowPrivilegeEscalation") is not False:
            yield f"container {c.get('name')} must set allowPrivilegeEscalation: false and not be privileged"
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            yield f"container {c.get('name')} must drop ALL capabilities"


def _limits(view: ResourceView) -> Iterable[str]:
    pod = _pod_spec(view)
    for c in _containers(pod or {}):
        limits = (c.get("resources") or {}).get("limits") or {}
        missing = [k for k in ("cpu", "memory") if k not in limits]
        if missing:
            yield f"container {c.get('name')} has no {' or '.join(missing)} limit"


def _probes(view: ResourceView) -> Iterable[str]:
    if _kind(view) not in LONG_RUNNING_KINDS:
        return
    for c in (_pod_spec(view) or {}).get("containers") or []:
        if not c.get("ports"):  # nothing to probe; the kubelet restarts it when its process exits
            continue
        missing = [p for p in ("livenessProbe", "readinessProbe") if not c.get(p)]
        if missing:
            yield f"container {c.get('name')} has no {' or '.join(missing)}"


def _host_namespaces(view: ResourceView) -> Iterable[str]:
    pod = _pod_spec(view)
    if pod is None:
        return
    shared = [k for k in ("hostNetwork", "hostPID", "hostIPC") if pod.get(k)]
    if shared:
        yield f"shares the node's {', '.join(shared)}"


def _pinned_images(view: ResourceView) -> Iterable[str]:
    for c in _containers(_pod_spec(view) or {}):
        image = c.get("image")
        if not isinstance(image, str) or image.startswith("<"):  # unknown until the build runs
            continue
        name = image.rsplit("/", 1)[-1]
        if "@sha256:" not in image and (":" not in name or name.endswith(":latest")):
            yield (
                f"container {c.get('name')} image {image} is not pinned (use a version tag or @sha256 digest, never "
                "latest)"
            )


def _hpa_owns_replicas(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    scaled = {
        (
            (v.props.get("metadata") or {}).get("namespace"),
            ((v.props.get("spec") or {}).get("scaleTargetRef") or {}).get("name"),
        )
        for v in views
        if _kind(v) == HPA_KIND
    }
    for v in views:
        meta = v.props.get("metadata") or {}
        if _kind(v) == "Deployment" and (meta.get("namespace"), meta.get("name")) in scaled:
            if "replicas" in (v.props.get("spec") or {}):
                yield (
                    v.name,
                    (
                        "sets spec.replicas while a HorizontalPodAutoscaler scales it: every `pulumi up` would "
                        "reset the count"
                    ),
                )


def _service_exposes_data_store(view: ResourceView) -> Iterable[str]:
    """A Service of type LoadBalancer/NodePort in front of a data store puts it on the internet."""
    if _kind(view) != "Service":
        return
    spec = view.props.get("spec") or {}
    if spec.get("type") not in ("LoadBalancer", "NodePort"):
        return
    ranges = set(spec.get("loadBalancerSourceRanges") or [])
    if ranges and not ranges & OPEN_WORLD:
        return  # restricted to listed networks
    annotations = (view.props.get("metadata") or {}).get("annotations") or {}
    if any("internal" in k and str(v).lower() in ("true", "internal") for k, v in annotations.items()):
        return  # an internal (VPC-only) load balancer
    ports = {
        int(p.get(k))
        for p in spec.get("ports") or []
        for k in ("port", "targetPort")
        if isinstance(p.get(k), (int, float))
    }
    words = " ".join(
        str(x)
        for x in [(view.props.get("metadata") or {}).get("name"), view.name, *((spec.get("selector") or {}).values())]
    ).lower()
    hits = sorted(ports & DATA_STORE_PORTS)
    named = [w for w in DATA_STORE_WORDS if w in words]
    if hits or named:
        yield (
            f"type {spec['type']} exposes {named[0] if named else 'a data store'} "
            f"(port {', '.join(map(str, hits or sorted(ports)))}) outside the cluster; use ClusterIP"
        )


def _config_map_secrets(view: ResourceView) -> Iterable[str]:
    """ConfigMaps are stored and shown in clear (kubectl describe, every reader of the namespace)."""
    if _kind(view) != "ConfigMap":
        return
    keys = [k for k, v in (view.props.get("data") or {}).items() if SECRET_NAME.search(k) and v]
    if keys:
        yield f"holds {', '.join(sorted(keys))} in a ConfigMap; use a Secret"


def _helm_pinned(view: ResourceView) -> Iterable[str]:
    if view.type.startswith("kubernetes:helm.sh/") and not view.props.get("version"):
        chart = view.props.get("chart") or view.name
        if not str(chart).endswith((".tgz",)) and not str(chart).startswith(("./", "/")):
            yield f"chart {chart} has no version: every deploy may install a different chart"


K8S_RULES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "k8s-restricted-containers",
        (
            "Containers run as non-root, without privilege escalation, with ALL capabilities dropped: a breakout "
            "starts unprivileged."
        ),
        Level.MANDATORY,
        _non_root,
        Risk.PRIVILEGE,
    ),
    ResourceRule(
        "k8s-no-host-namespaces",
        "No hostNetwork, hostPID or hostIPC: a pod sharing them sees the node.",
        Level.MANDATORY,
        _host_namespaces,
        Risk.PRIVILEGE,
    ),
    ResourceRule(
        "k8s-data-store-not-exposed",
        "No LoadBalancer/NodePort Service in front of a data store: it would be on the internet.",
        Level.MANDATORY,
        _service_exposes_data_store,
        Risk.PUBLIC_EXPOSURE,
    ),
    ResourceRule(
        "k8s-no-secrets-in-config-maps",
        "Secret-named keys live in Secrets, not ConfigMaps: ConfigMaps are shown to every reader in clear.",
        Level.MANDATORY,
        _config_map_secrets,
        Risk.SECRETS,
    ),
    ResourceRule(
        "k8s-pinned-images",
        "Images are pinned by version tag or digest, never latest: a deploy must run what was reviewed.",
        Level.MANDATORY,
        _pinned_images,
        Risk.SUPPLY_CHAIN,
    ),
    ResourceRule(
        "k8s-helm-chart-pinned",
        "Helm releases pin a chart version: every deploy would otherwise install whatever is newest.",
        Level.MANDATORY,
        _helm_pinned,
        Risk.SUPPLY_CHAIN,
    ),
    ResourceRule(
        "k8s-resource-limits",
        "Every container has CPU and memory limits: one runaway pod must not starve the node.",
        Level.MANDATORY,
        _limits,
        Risk.RELIABILITY,
    ),
    ResourceRule(
        "k8s-probes",
        (
            "Serving containers have liveness and readiness probes (practice: hung pods restart, unready ones get "
            "no traffic)."
        ),
        Level.ADVISORY,
        _probes,
        Risk.RELIABILITY,
    ),
    StackRule(
        "k8s-hpa-owns-replicas",
        "A Deployment scaled by an HPA does not set replicas: every `pulumi up` would reset the scale.",
        Level.MANDATORY,
        _hpa_owns_replicas,
        Risk.RELIABILITY,
    ),
]
