"""A private VPC: the subnet Cloud Run egresses into (Direct VPC egress) and the private
service access range Cloud SQL and Memorystore get their private addresses from."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_gcp import compute, servicenetworking

from infra.components.gcp.common import children

# Direct VPC egress needs at least a /26 and uses ~2 addresses per instance; /24 leaves headroom.
SUBNET_CIDR = "10.10.0.0/24"
PSA_PREFIX_LENGTH = 20  # Google's producer services (Cloud SQL, Memorystore) carve their ranges from this


@dataclass(frozen=True)
class NetworkArgs:
    region: str
    subnet_cidr: str = SUBNET_CIDR


class PrivateNetwork(pulumi.ComponentResource):
    network: compute.Network
    subnet: compute.Subnetwork
    peering: servicenetworking.Connection

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:gcp:PrivateNetwork", name, None, opts)
        child = children(self, opts)
        self.network = compute.Network(
            name, auto_create_subnetworks=False, description="ai-service private network", opts=child
        )
        self.subnet = compute.Subnetwork(
            f"{name}-run",
            network=self.network.id,
            region=args.region,
            ip_cidr_range=args.subnet_cidr,
            private_ip_google_access=True,  # Google APIs without public IPs
            opts=child,
        )
        psa_range = compute.GlobalAddress(
            f"{name}-psa",
            network=self.network.id,
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            prefix_length=PSA_PREFIX_LENGTH,
            opts=child,
        )
        self.peering = servicenetworking.Connection(
            f"{name}-psa",
            network=self.network.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[psa_range.name],
            # Deleting the peering fails while Google's producer side still holds it; let it go with the VPC.
            deletion_policy="ABANDON",
            opts=child,
        )
        self.register_outputs({"network": self.network.id, "subnet": self.subnet.id})
