"""DigitalOcean rules: the droplet is behind a cloud firewall that opens only 80/443 to the world
(SSH only from configured CIDRs, checked by ssh-not-open-to-world), and every managed database
has a DatabaseFirewall that admits no public address."""

from __future__ import annotations

from collections.abc import Iterable

from infra.tooling.policy.base import OPEN_WORLD, Level, ResourceRule, ResourceView, Risk, StackRule

DROPLET = "digitalocean:index/droplet:Droplet"
FIREWALL = "digitalocean:index/firewall:Firewall"
CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster"
DB_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall"
PUBLIC_PORTS = {"80", "443"}
SSH_PORT = "22"  # reported by ssh-not-open-to-world


def _droplets_firewalled(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    firewalls = [v for v in views if v.type == FIREWALL]
    if any(v.type == DROPLET for v in views) and not any(
        f.props.get("dropletIds") or f.props.get("tags") for f in firewalls
    ):
        for droplet in (v for v in views if v.type == DROPLET):
            yield droplet.name, "has no cloud firewall (digitalocean.Firewall with its id or tag)"


def _firewall_public_ports(v: ResourceView) -> Iterable[str]:
    if v.type != FIREWALL:
        return
    for rule in v.props.get("inboundRules") or []:
        port = str(rule.get("portRange"))
        if set(rule.get("sourceAddresses") or []) & OPEN_WORLD and port not in PUBLIC_PORTS | {SSH_PORT}:
            yield (
                f"inbound {rule.get('protocol')} {rule.get('portRange') or 'all'} is open to the internet; only "
                "80/443 may be"
            )


def _databases_firewalled(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    firewalls = [v for v in views if v.type == DB_FIREWALL and v.props.get("rules")]
    for cluster in (v for v in views if v.type == CLUSTER):
        keys = cluster.ids | {cluster.name}
        if not any(f.name == cluster.name or f.props.get("clusterId") in keys for f in firewalls):
            yield cluster.name, "has no DatabaseFirewall: any address may try to connect"


def _database_firewall_private(v: ResourceView) -> Iterable[str]:
    if v.type != DB_FIREWALL:
        return
    for rule in v.props.get("rules") or []:
        if rule.get("type") == "ip_addr" and rule.get("value") in OPEN_WORLD:
            yield f"admits {rule.get('value')}; list the droplet or its private network"


def _spaces_private(v: ResourceView) -> Iterable[str]:
    if v.type == "digitalocean:index/spacesBucket:SpacesBucket" and v.props.get("acl") == "public-read":
        yield "acl public-read lists and serves every object to anyone; keep it private and sign URLs"
    if v.type == "digitalocean:index/spacesBucketObject:SpacesBucketObject" and v.props.get("acl") == "public-read":
        yield "object is public-read"


DO_RULES: list[ResourceRule | StackRule] = [
    StackRule(
        "droplet-has-firewall",
        "Every droplet is behind a DigitalOcean cloud firewall: a droplet alone exposes every listening port.",
        Level.MANDATORY,
        _droplets_firewalled,
        Risk.PUBLIC_EXPOSURE,
    ),
    ResourceRule(
        "firewall-only-web-public",
        "A cloud firewall opens only 80/443 to the internet: every other open port is attack surface.",
        Level.MANDATORY,
        _firewall_public_ports,
        Risk.PUBLIC_EXPOSURE,
    ),
    StackRule(
        "database-has-firewall",
        "Every managed database has a DatabaseFirewall naming who may connect: otherwise any address may try.",
        Level.MANDATORY,
        _databases_firewalled,
        Risk.PUBLIC_EXPOSURE,
    ),
    ResourceRule(
        "database-firewall-private",
        "A DatabaseFirewall never admits the whole internet: the database would be public.",
        Level.MANDATORY,
        _database_firewall_private,
        Risk.PUBLIC_EXPOSURE,
    ),
    ResourceRule(
        "do-spaces-private",
        "Spaces buckets and objects are private: public-read lists and serves every object.",
        Level.MANDATORY,
        _spaces_private,
        Risk.PUBLIC_EXPOSURE,
    ),
]
