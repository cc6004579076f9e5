"""Docker rules (targets local and droplet, or any program using pulumi_docker): nothing published on
every interface but a web front, no privileged containers or host namespaces."""

from __future__ import annotations

from collections.abc import Iterable

from infra.tooling.policy.base import Level, ResourceRule, ResourceView, Risk

CONTAINER = "docker:index/container:Container"
ALL_INTERFACES = {None, "", "0.0.0.0", "::", "[::]"}
WEB_PORTS = {80, 443}
DOCKER_SOCKET = "/var/run/docker.sock"


def _published_everywhere(view: ResourceView) -> Iterable[str]:
    """Docker writes its own iptables rules for published ports: host firewalls (ufw) do not apply."""
    if view.type != CONTAINER:
        return
    for port in view.props.get("ports") or []:
        external = port.get("external")
        if external is None or port.get("ip") not in ALL_INTERFACES:
            continue
        if int(external) in WEB_PORTS:
            continue  # the web front: TLS and auth are its job
        yield (
            f"publishes {int(external)}->{int(port.get('internal', 0))} on every interface, past the host firewall; "
            "bind to 127.0.0.1 or serve it through the authenticated front on 80/443"
        )


def _privileged(view: ResourceView) -> Iterable[str]:
    if view.type != CONTAINER:
        return
    p = view.props
    if p.get("privileged"):
        yield "runs privileged: root on the host"
    for key in ("networkMode", "pidMode", "ipcMode"):
        if p.get(key) == "host":
            yield f"shares the host's {key.removesuffix('Mode')} namespace"
    added = set((p.get("capabilities") or {}).get("adds") or [])
    if added & {"ALL", "SYS_ADMIN", "CAP_SYS_ADMIN"}:
        yield f"adds capabilities {', '.join(sorted(added))}"
    for mount in [*(p.get("volumes") or []), *(p.get("mounts") or [])]:
        if DOCKER_SOCKET in (mount.get("hostPath"), mount.get("source")):
            yield "mounts the Docker socket: root on the host"


DOCKER_RULES: list = [
    ResourceRule(
        "docker-not-published-everywhere",
        (
            "Containers publish ports on 127.0.0.1 unless they are the 80/443 front: Docker's published ports "
            "bypass host firewalls."
        ),
        Level.MANDATORY,
        _published_everywhere,
        Risk.PUBLIC_EXPOSURE,
    ),
    ResourceRule(
        "docker-no-privileged",
        "No privileged containers, host namespaces, SYS_ADMIN or Docker socket mounts: each is root on the host.",
        Level.MANDATORY,
        _privileged,
        Risk.PRIVILEGE,
    ),
]
