"""DigitalOcean pieces of the kubernetes target: the DOKS cluster (autoscaled node pool,
optional HA control plane, registry integration), managed Postgres reachable only from that
cluster, and a private Spaces bucket with a key scoped to it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pulumi
import pulumi_digitalocean as do

from infra.settings.kubernetes import ClusterConfig

SPACES_ENDPOINT = "https://{region}.digitaloceanspaces.com"


class DoksCluster(pulumi.ComponentResource):
    kubeconfig: pulumi.Output[str]  # secret
    cluster_id: pulumi.Output[str]

    def __init__(self, name: str, config: ClusterConfig, tags: list[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:kubernetes:DoksCluster", name, None, opts)
        vpc = do.Vpc(name, name=f"{name}-vpc", region=config.region, opts=pulumi.ResourceOptions(parent=self))
        self.cluster = do.KubernetesCluster(
            name,
            name=name,
            region=config.region,
            # DOKS wants a full slug (1.33.1-do.0): the newest patch of the configured minor.
            version=do.get_kubernetes_versions_output(version_prefix=f"{config.version}.").latest_version,
            vpc_uuid=vpc.id,
            ha=config.ha_control_plane,
            registry_integration=config.registry_integration,
            auto_upgrade=True,
            surge_upgrade=True,
            maintenance_policy={"day": "sunday", "start_time": "04:00"},
            node_pool={
                "name": f"{name}-pool",
                "size": config.node_size,
                "node_count": config.node_count,
                "auto_scale": True,
                "min_nodes": config.min_nodes,
                "max_nodes": config.max_nodes,
                "tags": tags,
            },
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["version", "nodePool.nodeCount"]),
        )
        self.cluster_id = self.cluster.id
        self.vpc_id = vpc.id
        self.kubeconfig = pulumi.Output.secret(self.cluster.kube_configs[0].raw_config)
        self.register_outputs({"cluster_id": self.cluster_id})


def _url(user, password, host, port, database) -> str:
    return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{database}?sslmode=require"


@dataclass(frozen=True)
class PostgresArgs:
    region: str
    size: str
    version: int
    vpc_id: pulumi.Input[str]
    cluster_id: pulumi.Input[str]
    tags: tuple[str, ...]
    protect: bool
    database: str = "ai_service"
    user: str = "ai_service"


class ClusterPostgres(pulumi.ComponentResource):
    """Managed Postgres whose firewall admits only the Kubernetes cluster (rule type `k8s`)."""

    url: pulumi.Output[str]
    admin_url: pulumi.Output[str]

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:kubernetes:ClusterPostgres", name, None, opts)
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
        do.DatabaseFirewall(
            name,
            cluster_id=cluster.id,
            rules=[do.DatabaseFirewallRuleArgs(type="k8s", value=args.cluster_id)],
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


@dataclass(frozen=True)
class SpacesArgs:
    bucket_name: str
    region: str
    tmp_expiry_days: int
    backup_retention_days: int
    protect: bool


class SpacesStorage(pulumi.ComponentResource):
    """Private (ACL private, encrypted at rest by Spaces), versioned; tmp/ expires, backups/ kept for retention."""

    def __init__(self, name: str, args: SpacesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:kubernetes:SpacesStorage", name, None, opts)
        self.bucket = do.SpacesBucket(
            name,
            name=args.bucket_name,
            region=args.region,
            acl="private",
            force_destroy=not args.protect,
            versioning={"enabled": True},
            lifecycle_rules=[
                {"id": "tmp-expiry", "prefix": "tmp/", "enabled": True, "expiration": {"days": args.tmp_expiry_days}},
                {
                    "id": "backup-retention",
                    "prefix": "backups/",
                    "enabled": True,
                    "expiration": {"days": args.backup_retention_days},
                    "noncurrent_version_expiration": {"days": args.backup_retention_days},
                },
                {
                    "id": "old-versions",
                    "prefix": "documents/",
                    "enabled": True,
                    "noncurrent_version_expiration": {"days": 30},
                },
            ],
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        key = do.SpacesKey(
            name,
            name=f"{args.bucket_name}-app",
            grants=[{"bucket": self.bucket.name, "permission": "readwrite"}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = self.bucket.name
        self.endpoint = SPACES_ENDPOINT.format(region=args.region)
        self.access_key_id = key.access_key
        self.secret_access_key = pulumi.Output.secret(key.secret_key)
        self.register_outputs({"bucket": self.name})
