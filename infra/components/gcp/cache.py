"""Memorystore for Redis on private service access, with AUTH and in-transit encryption.

Clients get `rediss://:<auth>@host:6378/0` (a secret) and the server CA certificate to verify it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import redis

from infra.components.gcp.common import children

REDIS_VERSION = "REDIS_7_2"


@dataclass(frozen=True)
class CacheArgs:
    instance_name: str
    region: str
    tier: str
    memory_gb: int
    network: pulumi.Input[str]


class MemorystoreRedis(pulumi.ComponentResource):
    instance: redis.Instance
    url: pulumi.Output[str]
    ca_certificate: pulumi.Output[str]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:gcp:MemorystoreRedis", name, None, opts)
        self.instance = redis.Instance(
            name,
            name=args.instance_name,
            region=args.region,
            tier=args.tier,
            memory_size_gb=args.memory_gb,
            redis_version=REDIS_VERSION,
            authorized_network=args.network,
            connect_mode="PRIVATE_SERVICE_ACCESS",
            auth_enabled=True,
            transit_encryption_mode="SERVER_AUTHENTICATION",
            redis_configs={"maxmemory-policy": "noeviction"},  # RQ jobs must never be evicted
            opts=children(self, opts),
        )
        self.url = pulumi.Output.secret(
            pulumi.Output.all(self.instance.auth_string, self.instance.host, self.instance.port).apply(
                lambda v: f"rediss://:{v[0]}@{v[1]}:{v[2]}/0"
            )
        )
        self.ca_certificate = self.instance.server_ca_certs.apply(lambda certs: "\n".join(c.cert or "" for c in certs))
        self.register_outputs({"host": self.instance.host})
