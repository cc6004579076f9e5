"""Monthly cost rules for DigitalOcean (target droplet); list prices in prices.py.

Droplet backups add 20% of the droplet price; a reserved IP is free while assigned; the
registry's Starter tier is free (one per account). Bandwidth within the droplet's included
transfer (4 TB for s-2vcpu-4gb) is not charged and not modelled.
"""

from __future__ import annotations

from collections.abc import Iterable

from infra.tooling.cost.items import CostItem, Unpriced
from infra.tooling.cost.prices import PRICES
from infra.tooling.resources import PlannedResource
from infra.tooling.values import unwrapped

BACKUP_SHARE = 0.20


def _item(r: PlannedResource, usd: float, basis: str) -> CostItem:
    return CostItem(resource=r.name, type=r.type, monthly_usd=usd, basis=basis)


def _price(key: str, what: str):
    price = PRICES.get(key)
    if price is None:
        raise Unpriced(what)
    return price


def _droplet(r: PlannedResource) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    size = props.get("size", "")
    price = _price(f"do.droplet.{size}", f"droplet size {size}")
    yield _item(r, price.usd, f"droplet {size}, ${price.usd:g}/month ({price.source}, {price.checked})")
    if props.get("backups"):
        yield _item(r, price.usd * BACKUP_SHARE, f"weekly droplet backups: 20% of ${price.usd:g}")


def _database(r: PlannedResource) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    size, nodes = props.get("size", ""), int(props.get("nodeCount", 1))
    price = _price(f"do.database.{size}", f"database size {size}")
    yield _item(r, price.usd * nodes, f"managed Postgres {size} × {nodes} node(s), ${price.usd:g}/month each")


def _registry(r: PlannedResource) -> Iterable[CostItem]:
    tier = unwrapped(r.inputs).get("subscriptionTierSlug", "starter")
    price = _price(f"do.registry.{tier}", f"registry tier {tier}")
    yield _item(r, price.usd, f"container registry {tier} tier (${price.usd:g}/month)")


def _reserved_ip(r: PlannedResource) -> Iterable[CostItem]:
    yield _item(r, 0.0, "reserved IP: free while assigned to a droplet")


def _load_balancer(r: PlannedResource) -> Iterable[CostItem]:
    props = unwrapped(r.inputs)
    nodes = int(props.get("sizeUnit") or {"lb-small": 1, "lb-medium": 3, "lb-large": 6}.get(props.get("size") or "", 1))
    price = _price("do.loadbalancer.small", "load balancer")
    yield _item(
        r, price.usd * nodes, f"load balancer, {nodes} node(s) × ${price.usd:g}/month ({price.source}, {price.checked})"
    )


def _volume(r: PlannedResource) -> Iterable[CostItem]:
    size = float(unwrapped(r.inputs).get("size") or 0)
    gib = _price("do.volume.gib_month", "block storage")
    yield _item(r, size * gib.usd, f"{size:g} GiB block storage at ${gib.usd:g}/GiB-month")


COST_RULES = {
    "digitalocean:index/loadBalancer:LoadBalancer": _load_balancer,
    "digitalocean:index/volume:Volume": _volume,
    "digitalocean:index/droplet:Droplet": _droplet,
    "digitalocean:index/databaseCluster:DatabaseCluster": _database,
    "digitalocean:index/containerRegistry:ContainerRegistry": _registry,
    "digitalocean:index/reservedIp:ReservedIp": _reserved_ip,
}

FREE_TYPES = {
    "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials",
    "digitalocean:index/databaseDb:DatabaseDb",
    "digitalocean:index/databaseFirewall:DatabaseFirewall",
    "digitalocean:index/databaseUser:DatabaseUser",
    "digitalocean:index/firewall:Firewall",
    "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
    "digitalocean:index/spacesKey:SpacesKey",
    "digitalocean:index/sshKey:SshKey",
    "digitalocean:index/uptimeAlert:UptimeAlert",
    "digitalocean:index/uptimeCheck:UptimeCheck",  # included with the account
    "digitalocean:index/vpc:Vpc",
    "digitalocean:index/project:Project",
    "digitalocean:index/projectResources:ProjectResources",
    "digitalocean:index/domain:Domain",
    "digitalocean:index/record:Record",
    "digitalocean:index/tag:Tag",
    "digitalocean:index/certificate:Certificate",
    "digitalocean:index/spacesBucketObject:SpacesBucketObject",
    "digitalocean:index/spacesBucketPolicy:SpacesBucketPolicy",
    "digitalocean:index/monitorAlert:MonitorAlert",
}
