"""Managed Postgres (pgvector is available on DigitalOcean's PG), reachable only from the droplet.

Two URLs: DATABASE_URL for the app user (no CREATE on public: PG ≥ 15) and MIGRATE_DATABASE_URL
for the admin user, used only by `ai-service migrate` (creating `vector` needs it). Both secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pulumi
import pulumi_digitalocean as do

DEFAULT_SIZE = "db-s-1vcpu-1gb"
# Connections a plan allows to clients (DigitalOcean reserves 3 for itself):
# https://docs.digitalocean.com/products/databases/postgresql/details/limits/
CONNECTION_LIMITS = {"db-s-1vcpu-1gb": 22, "db-s-1vcpu-2gb": 47, "db-s-2vcpu-4gb": 97, "db-s-4vcpu-8gb": 197}


@dataclass(frozen=True)
class ManagedPostgresArgs:
    region: str
    size: str
    version: int
    vpc_id: pulumi.Input[str]
    droplet_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    tags: tuple[str, ...]
    protect: bool
    database: str = "ai_service"
    user: str = "ai_service"


def _url(user, password, host, port, database) -> str:
    return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{database}?sslmode=require"


class ManagedPostgres(pulumi.ComponentResource):
    url: pulumi.Output[str]
    admin_url: pulumi.Output[str]

    def __init__(self, name: str, args: ManagedPostgresArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:digitalocean:ManagedPostgres", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = do.DatabaseCluster(
            name,
            name=name,
            engine="pg",
            version=str(args.version),
            size=args.size,
            region=args.region,
            node_count=1,
            private_network_uuid=args.vpc_id,
            tags=list(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        db = do.DatabaseDb(name, cluster_id=cluster.id, name=args.database, opts=child)
        user = do.DatabaseUser(name, cluster_id=cluster.id, name=args.user, opts=child)
        # Only the droplet (by id) and the private network reach the cluster; no public source.
        do.DatabaseFirewall(
            name,
            cluster_id=cluster.id,
            rules=[
                do.DatabaseFirewallRuleArgs(type="droplet", value=args.droplet_id),
                do.DatabaseFirewallRuleArgs(type="ip_addr", value=args.vpc_cidr),
            ],
            opts=child,
        )
        self.url = pulumi.Output.secret(
            pulumi.Output.all(user.name, user.password, cluster.private_host, cluster.port, db.name).apply(
                lambda a: _url(*a)
            )
        )
        self.admin_url = pulumi.Output.secret(
            pulumi.Output.all(cluster.user, cluster.password, cluster.private_host, cluster.port, db.name).apply(
                lambda a: _url(*a)
            )
        )
        self.register_outputs({"host": cluster.private_host})
