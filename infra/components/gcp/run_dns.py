"""`*.run.app` resolved to Private Google Access inside the VPC, so internal services are reachable.

A Cloud Run service with ingress `internal` accepts another Cloud Run workload's request only
when it arrives through the VPC. The API and workers use Direct VPC egress for private ranges
only (the internet stays direct, no Cloud NAT); their subnet has Private Google Access. This
private zone makes `*.run.app` resolve, from the VPC only, to private.googleapis.com
(199.36.153.8/30), which Direct VPC egress sends through the VPC: a call to an internal
accessory's URL then counts as internal. Everything else resolves as before.
"""

from __future__ import annotations

import pulumi
from pulumi_gcp import dns

from infra.components.gcp.common import children

RUN_APP = "run.app."
PRIVATE_GOOGLE_ACCESS_VIPS = ("199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11")


class PrivateRunDns(pulumi.ComponentResource):
    zone: dns.ManagedZone

    def __init__(
        self, name: str, zone_name: str, network: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("ai-service:gcp:PrivateRunDns", name, None, opts)
        child = children(self, opts)
        self.zone = dns.ManagedZone(
            name,
            name=zone_name,
            dns_name=RUN_APP,
            description="run.app through Private Google Access (internal Cloud Run ingress from the VPC)",
            visibility="private",
            private_visibility_config={"networks": [{"network_url": network}]},
            opts=child,
        )
        for record, host in (("apex", RUN_APP), ("wildcard", f"*.{RUN_APP}")):
            dns.RecordSet(
                f"{name}-{record}",
                managed_zone=self.zone.name,
                name=host,
                type="A",
                ttl=300,
                rrdatas=list(PRIVATE_GOOGLE_ACCESS_VIPS),
                opts=child,
            )
        self.register_outputs({"zone": self.zone.name})
