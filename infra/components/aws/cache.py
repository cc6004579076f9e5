"""ElastiCache (Valkey) with TLS and an AUTH token, in private subnets, only from the workload."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
from pulumi_aws import ec2, elasticache

from infra.components.aws.network import Network, allow_from, security_group

PORT = 6379
ENGINE_VERSION = "8.0"


@dataclass(frozen=True)
class CacheArgs:
    network: Network
    client: ec2.SecurityGroup
    node_type: str


class Cache(pulumi.ComponentResource):
    url: pulumi.Output[str]  # secret: rediss://:token@host:6379/0

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:aws:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.security_group = security_group(
            f"{name}-cache", args.network.vpc_id, "Valkey: only from the workload", child
        )
        allow_from(
            f"{name}-cache-from-workload", self.security_group, PORT, args.client, "Valkey from the workload", child
        )
        subnets = elasticache.SubnetGroup(name, subnet_ids=args.network.private_subnet_ids, opts=child)
        # AUTH tokens allow 16-128 printable characters without @ " /: alphanumerics are safe in a URL too.
        token = random.RandomPassword(f"{name}-cache", length=48, special=False, opts=child)
        self.group = elasticache.ReplicationGroup(
            name,
            description="ai-service queues and rate limits",
            engine="valkey",
            engine_version=ENGINE_VERSION,
            node_type=args.node_type,
            num_cache_clusters=1,
            port=PORT,
            subnet_group_name=subnets.name,
            security_group_ids=[self.security_group.id],
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            auth_token=token.result,
            snapshot_retention_limit=1,
            auto_minor_version_upgrade=True,
            opts=child,
        )
        self.url = pulumi.Output.secret(
            pulumi.Output.all(token.result, self.group.primary_endpoint_address).apply(
                lambda v: f"rediss://:{v[0]}@{v[1]}:{PORT}/0"
            )
        )
        self.register_outputs({"address": self.group.primary_endpoint_address})
