"""Placeholders for pulumi_digitalocean: TEST-NET addresses, `.invalid` hosts, name-derived ids."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from infra.tooling.plan.placeholders.base import Outputs, token


def _droplet(name: str, inputs: Outputs) -> Outputs:
    return {"ipv4Address": "192.0.2.10", "ipv4AddressPrivate": "10.10.0.2", "urn": f"do:droplet:{token(name, 8)}"}


def _vpc(name: str, inputs: Outputs) -> Outputs:
    return {"ipRange": inputs.get("ipRange") or "10.10.0.0/20", "urn": f"do:vpc:{token(name, 8)}"}


def _cluster(name: str, inputs: Outputs) -> Outputs:
    host, private = f"{name}-placeholder.db.invalid", f"private-{name}-placeholder.db.invalid"
    password = f"placeholder-{token(name + '-admin')}"
    return {
        "host": host,
        "privateHost": private,
        "port": 25060,
        "user": "doadmin",
        "password": password,
        "database": "defaultdb",
        "urn": f"do:dbaas:{token(name, 8)}",
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


def _kubernetes_cluster(name: str, inputs: Outputs) -> Outputs:
    host = f"https://{token(name, 8)}.k8s.ondigitalocean.invalid"
    kubeconfig = (
        "apiVersion: v1\nkind: Config\nclusters:\n- name: placeholder\n  cluster:\n    server: " + host + "\n"
        "users:\n- name: placeholder\n  user:\n    token: placeholder-token-" + token(name + "-token") + "\n"
        "contexts:\n- name: placeholder\n  context: {cluster: placeholder, user: placeholder}\ncurrent-context: "
        "placeholder\n"
    )
    return {
        "endpoint": host,
        "clusterSubnet": "10.244.0.0/16",
        "serviceSubnet": "10.245.0.0/16",
        "ipv4Address": "",
        "status": "running",
        "urn": f"do:kubernetes:{token(name, 8)}",
        "kubeConfigs": [
            {"rawConfig": kubeconfig, "host": host, "token": f"placeholder-token-{token(name + '-token')}"}
        ],
    }


def _spaces_bucket(name: str, inputs: Outputs) -> Outputs:
    bucket, region = inputs.get("name", name), inputs.get("region", "nyc3")
    return {
        "bucketDomainName": f"{bucket}.{region}.digitaloceanspaces.invalid",
        "urn": f"do:space:{bucket}",
        "endpoint": f"{region}.digitaloceanspaces.invalid",
    }


def _spaces_key(name: str, inputs: Outputs) -> Outputs:
    return {
        "accessKey": f"DOPLACEHOLDER{token(name).upper()}",
        "secretKey": f"placeholder-spaces-secret-{token(name, 32)}",
    }


INVOKES: dict[str, Callable[[dict], dict]] = {
    "digitalocean:index/getKubernetesVersions:getKubernetesVersions": lambda args: {
        "latestVersion": f"{args.get('versionPrefix', '1.33.')}1-do.0",
        "validVersions": [f"{args.get('versionPrefix', '1.33.')}1-do.0"],
        "versionPrefix": args.get("versionPrefix", ""),
    },
}

COMPUTED: dict[str, Callable[[str, Outputs], Outputs]] = {
    "digitalocean:index/kubernetesCluster:KubernetesCluster": _kubernetes_cluster,
    "digitalocean:index/spacesBucket:SpacesBucket": _spaces_bucket,
    "digitalocean:index/spacesKey:SpacesKey": _spaces_key,
    "digitalocean:index/droplet:Droplet": _droplet,
    "digitalocean:index/vpc:Vpc": _vpc,
    "digitalocean:index/sshKey:SshKey": lambda name, _: {"fingerprint": f"placeholder-fingerprint-{token(name)}"},
    "digitalocean:index/reservedIp:ReservedIp": lambda name, _: {
        "ipAddress": "203.0.113.10",
        "urn": "do:reservedip:203.0.113.10",
    },
    "digitalocean:index/databaseCluster:DatabaseCluster": _cluster,
    "digitalocean:index/databaseUser:DatabaseUser": _db_user,
    "digitalocean:index/containerRegistry:ContainerRegistry": _registry,
    "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials": _docker_credentials,
    "digitalocean:index/dnsRecord:DnsRecord": lambda name, inputs: {
        "fqdn": f"{inputs.get('name')}.{inputs.get('domain')}"
    },
}

SECRET_OUTPUTS: dict[str, frozenset[str]] = {
    "digitalocean:index/kubernetesCluster:KubernetesCluster": frozenset({"kubeConfigs"}),
    "digitalocean:index/spacesKey:SpacesKey": frozenset({"secretKey"}),
    "digitalocean:index/databaseCluster:DatabaseCluster": frozenset({"password", "uri", "privateUri"}),
    "digitalocean:index/databaseUser:DatabaseUser": frozenset({"password"}),
    "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials": frozenset(
        {"dockerCredentials"}
    ),
}
