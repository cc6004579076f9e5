"""One droplet behind a cloud firewall: VPC, droplet, reserved IP, DNS, uptime check.

user_data and ssh_keys are first-boot only (changing either replaces the droplet), so the caller
passes a stub that does not depend on the image, the release or the host settings: those travel
through the bucket, including the admin user's SSH key (no DigitalOcean SSH key on the droplet;
root login stays disabled).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_digitalocean as do

from infra.components.sdk import sdk_input
from infra.contract import HEALTH_PATH

PUBLIC = ["0.0.0.0/0", "::/0"]


@dataclass(frozen=True)
class DropletHostArgs:
    region: str
    size: str
    image: str
    backups: bool
    ssh_allowed_cidrs: tuple[str, ...]
    user_data: pulumi.Input[str]
    tags: tuple[str, ...]
    domain: str = ""
    alert_email: str = ""
    health_path: str = HEALTH_PATH  # the API's liveness path, checked from outside (ai-service:health.liveness)


def dns_zone(domain: str) -> tuple[str, str]:
    """(zone, record name): api.example.com -> (example.com, api); example.com -> (example.com, @)."""
    labels = domain.split(".")
    return (domain, "@") if len(labels) <= 2 else (".".join(labels[1:]), labels[0])


class DropletHost(pulumi.ComponentResource):
    ip_address: pulumi.Output[str]
    droplet_id: pulumi.Output[str]
    vpc_id: pulumi.Output[str]

    def __init__(self, name: str, args: DropletHostArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:digitalocean:DropletHost", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        vpc = do.Vpc(name, name=f"{name}-vpc", region=args.region, opts=child)
        droplet = do.Droplet(
            name,
            name=name,
            region=args.region,
            size=args.size,
            image=args.image,
            vpc_uuid=vpc.id,
            tags=list(args.tags),
            monitoring=True,  # DigitalOcean metrics agent (CPU, memory, disk alerts)
            backups=args.backups,
            ipv6=True,
            user_data=args.user_data,
            opts=child,
        )
        ip = do.ReservedIp(name, region=args.region, opts=child)
        do.ReservedIpAssignment(name, ip_address=ip.ip_address, droplet_id=sdk_input(droplet.id), opts=child)
        do.Firewall(
            name,
            name=f"{name}-edge",
            droplet_ids=sdk_input([droplet.id]),
            inbound_rules=[
                do.FirewallInboundRuleArgs(protocol="tcp", port_range="80", source_addresses=PUBLIC),
                do.FirewallInboundRuleArgs(protocol="tcp", port_range="443", source_addresses=PUBLIC),
                do.FirewallInboundRuleArgs(
                    protocol="tcp", port_range="22", source_addresses=list(args.ssh_allowed_cidrs)
                ),
            ],
            outbound_rules=[
                do.FirewallOutboundRuleArgs(protocol=p, port_range="1-65535", destination_addresses=PUBLIC)
                for p in ("tcp", "udp")
            ]
            + [do.FirewallOutboundRuleArgs(protocol="icmp", destination_addresses=PUBLIC)],
            opts=child,
        )
        path = args.health_path
        target = f"https://{args.domain}{path}" if args.domain else ip.ip_address.apply(lambda a: f"http://{a}{path}")
        if args.domain:
            zone, record = dns_zone(args.domain)
            do.DnsRecord(name, domain=zone, type="A", name=record, value=ip.ip_address, ttl=300, opts=child)
        # External uptime check: a dead host still alerts (the reliability floor, docs/operations/policy.md).
        check = do.UptimeCheck(
            name,
            name=f"{name}-health",
            target=target,
            type="https" if args.domain else "http",
            regions=["us_east", "eu_west"],
            opts=child,
        )
        if args.alert_email:
            do.UptimeAlert(
                name,
                check_id=check.id,
                name=f"{name}-down",
                type="down",
                period="2m",
                notifications=[do.UptimeAlertNotificationArgs(emails=[args.alert_email])],
                opts=child,
            )
        self.ip_address = ip.ip_address
        self.droplet_id = droplet.id
        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.ip_range
        self.droplet = droplet
        self.register_outputs({"ip_address": self.ip_address, "droplet_id": self.droplet_id})
