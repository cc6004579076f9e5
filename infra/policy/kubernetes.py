"""Kubernetes rules (target kubernetes, or any stack that creates pulumi_kubernetes workloads):
non-root restricted containers with limits and probes, no host namespaces, pinned images, and
no Deployment whose replica count an HPA owns."""

from __future__ import annotations

from collections.abc import Iterable

from infra.policy.rules import Level, ResourceRule, ResourceView, StackRule

PREFIX = "kubernetes:"
LONG_RUNNING = {"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"}
WORKLOADS = LONG_RUNNING | {"kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob", "kubernetes:core/v1:Pod"}
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def _pod_spec(view: ResourceView) -> dict | None:
    if view.type not in WORKLOADS:
        return None
    spec = view.props.get("spec") or {}
    if view.type == "kubernetes:core/v1:Pod":
        return spec
    if view.type == "kubernetes:batch/v1:CronJob":
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
    if view.type not in LONG_RUNNING:
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
            yield f"container {c.get('name')} image {image} is not pinned (use a version tag or @sha256 digest, never latest)"


def _hpa_owns_replicas(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    scaled = {((v.props.get("metadata") or {}).get("namespace"), ((v.props.get("spec") or {}).get("scaleTargetRef") or {}).get("name"))
              for v in views if v.type == HPA}
    for v in views:
        meta = v.props.get("metadata") or {}
        if v.type == "kubernetes:apps/v1:Deployment" and (meta.get("namespace"), meta.get("name")) in scaled:
            if "replicas" in (v.props.get("spec") or {}):
                yield v.name, "sets spec.replicas while a HorizontalPodAutoscaler scales it: every `pulumi up` would reset the count"


K8S_RULES: list[ResourceRule | StackRule] = [
    ResourceRule("k8s-restricted-containers", "Containers run as non-root, without privilege escalation, with ALL capabilities dropped.",
                 Level.MANDATORY, _non_root),
    ResourceRule("k8s-resource-limits", "Every container has CPU and memory limits.", Level.MANDATORY, _limits),
    ResourceRule("k8s-probes", "Long-running containers that serve a port have liveness and readiness probes.", Level.MANDATORY, _probes),
    ResourceRule("k8s-no-host-namespaces", "No hostNetwork, hostPID or hostIPC.", Level.MANDATORY, _host_namespaces),
    ResourceRule("k8s-pinned-images", "Images are pinned by version tag or digest, never latest.", Level.MANDATORY, _pinned_images),
    StackRule("k8s-hpa-owns-replicas", "A Deployment scaled by an HPA does not set replicas.", Level.MANDATORY, _hpa_owns_replicas),
]
