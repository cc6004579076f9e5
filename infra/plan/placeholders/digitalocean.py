"""Placeholders for pulumi_digitalocean: TEST-NET addresses, `.invalid` hosts, name-derived ids."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from infra.plan.placeholders.base import Outputs, token


def _droplet(name: str, inputs: Outputs) -> Outputs:
    return {"ipv4Address": "192.0.2.10", "ipv4AddressPrivate": "10.10.0.2", "urn": f"do:droplet:{token(name, 8)}"}


def _vpc(name: str, inputs: Outputs) -> Outputs:
    return {"ipRange": inputs.get("ipRange") or "10.10.0.0/20", "urn": f"do:vpc:{token(name, 8)}"}


def _cluster(name: str, inputs: Outputs) -> Outputs:
    host, private = f"{name}-placeholder.db.invalid", f"private-{name}-placeholder.db.invalid"
    password = f"placeholder-{token(name + '-admin')}"
    return {
        "host": host, "privateHost": private, "port": 25060, "user": "doadmin", "password": password,
        "database": "defaultdb", "urn": f"do:dbaas:{token(name, 8)}",
        "uri": f"postgresql://doadmin:{password}@{host}:25060/defaultdb?sslmode=require",
        "privateUri": f"postgresql://doadmin:{password}@{private}:25060/defaultdb?sslmode=require",
    }


def _db_user(name: str, inputs: Outputs) -> Outputs:
    return {"password": f"placeholder-{token(name + '-user')}"}


def _registry(name: str, inputs: Outputs) -> Outputs:
    registry = inputs.get("name", name)
    return {"endpoint": f"registry.digitalocean.com/{registry}", "serverUrl": "registry.digitalocean.com"}


def _docker_credentials(name: str, inputs: Outputs) -> Outputs:
    auth = base64.b64encode(f"placeholder-user:placeholder-token-{token(name)}".encode()).decode()
    return {"dockerCredentials": json.dumps({"auths": {"registry.digitalocean.com": {"auth": auth}}})}


COMPUTED: dict[str, Callable[[str, Outputs], Outputs]] = {
    "digitalocean:index/droplet:Droplet": _droplet,
    "digitalocean:index/vpc:Vpc": _vpc,
    "digitalocean:index/sshKey:SshKey": lambda name, _: {"fingerprint": f"placeholder-fingerprint-{token(name)}"},
    "digitalocean:index/reservedIp:ReservedIp": lambda name, _: {"ipAddress": "203.0.113.10", "urn": "do:reservedip:203.0.113.10"},
    "digitalocean:index/databaseCluster:DatabaseCluster": _cluster,
    "digitalocean:index/databaseUser:DatabaseUser": _db_user,
    "digitalocean:index/containerRegistry:ContainerRegistry": _registry,
    "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials": _docker_credentials,
    "digitalocean:index/dnsRecord:DnsRecord": lambda name, inputs: {"fqdn": f"{inputs.get('name')}.{inputs.get('domain')}"},
}

SECRET_OUTPUTS: dict[str, frozenset[str]] = {
    "digitalocean:index/databaseCluster:DatabaseCluster": frozenset({"password", "uri", "privateUri"}),
    "digitalocean:index/databaseUser:DatabaseUser": frozenset({"password"}),
    "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials": frozenset(
        {"dockerCredentials"}
    ),
}
