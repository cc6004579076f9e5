"""DigitalOcean programs: droplets, managed databases, Spaces, load balancers."""

from __future__ import annotations

import pulumi_digitalocean as do

from tests.policy.corpus import program


@program(expect={"droplet-has-firewall", "database-has-firewall", "do-spaces-private"})
def droplet_and_db_without_firewalls():
    """A droplet and a managed Postgres without any firewall, and a public-read Spaces bucket."""
    do.Droplet("web", image="ubuntu-24-04-x64", region="fra1", size="s-1vcpu-2gb")
    do.DatabaseCluster("pg", engine="pg", version="16", size="db-s-1vcpu-1gb", region="fra1", node_count=1)
    do.SpacesBucket("media", region="fra1", acl="public-read")


@program(twin_of="droplet_and_db_without_firewalls")
def droplet_and_db_firewalled():
    """Firewall by tag; the database admits only the droplet (its firewall named differently from the cluster)."""
    web = do.Droplet("web", image="ubuntu-24-04-x64", region="fra1", size="s-1vcpu-2gb", tags=["web"])
    do.Firewall(
        "web-fw",
        tags=["web"],
        inbound_rules=[
            {"protocol": "tcp", "port_range": "443", "source_addresses": ["0.0.0.0/0", "::/0"]},
            {"protocol": "tcp", "port_range": "22", "source_addresses": ["198.51.100.7/32"]},
        ],
    )
    pg = do.DatabaseCluster("pg", engine="pg", version="16", size="db-s-1vcpu-1gb", region="fra1", node_count=1)
    do.DatabaseFirewall("pg-trusted", cluster_id=pg.id, rules=[{"type": "droplet", "value": web.id}])
    do.SpacesBucket("media", region="fra1", acl="private")
    do.LoadBalancer(
        "web-lb",
        region="fra1",
        size_unit=2,
        droplet_tag="web",
        forwarding_rules=[
            {
                "entry_port": 443,
                "entry_protocol": "https",
                "target_port": 80,
                "target_protocol": "http",
                "certificate_name": "web",
            }
        ],
    )


@program(expect={"firewall-only-web-public", "ssh-not-open-to-world", "database-firewall-private"})
def firewall_wide_open():
    """All TCP ports and SSH open to the world; the database firewall admits 0.0.0.0/0."""
    do.Droplet("web", image="ubuntu-24-04-x64", region="fra1", size="s-2vcpu-4gb", tags=["web"])
    do.Firewall(
        "web-fw",
        tags=["web"],
        inbound_rules=[{"protocol": "tcp", "port_range": "1-65535", "source_addresses": ["0.0.0.0/0"]}],
    )
    pg = do.DatabaseCluster("pg", engine="pg", version="16", size="db-s-1vcpu-2gb", region="fra1", node_count=1)
    do.DatabaseFirewall("pg", cluster_id=pg.id, rules=[{"type": "ip_addr", "value": "0.0.0.0/0"}])


@program(twin_of="firewall_wide_open")
def firewall_by_tag():
    """Firewall applied by tag; database reachable from the tagged droplets only."""
    do.Droplet("web", image="ubuntu-24-04-x64", region="fra1", size="s-2vcpu-4gb", tags=["web"])
    do.Firewall(
        "web-fw",
        tags=["web"],
        inbound_rules=[
            {"protocol": "tcp", "port_range": "80", "source_addresses": ["0.0.0.0/0"]},
            {"protocol": "tcp", "port_range": "443", "source_addresses": ["0.0.0.0/0"]},
        ],
    )
    pg = do.DatabaseCluster("pg", engine="pg", version="16", size="db-s-1vcpu-2gb", region="fra1", node_count=1)
    do.DatabaseFirewall("pg", cluster_id=pg.id, rules=[{"type": "tag", "value": "web"}])
