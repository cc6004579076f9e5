"""DigitalOcean droplet sizes: the one table the settings validate `droplet.size` against, the
capacity check reads memory from, and the cost model prices (infra/tooling/cost/prices.py).

Basic (regular SSD) and common General Purpose sizes; list prices per month, read on the date below.
DOKS worker nodes are droplets billed at the same price.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "https://www.digitalocean.com/pricing/droplets"
CHECKED = "2026-11-22"


@dataclass(frozen=True)
class DropletSize:
    vcpus: int
    memory_mib: int
    usd_month: float


DROPLET_SIZES: dict[str, DropletSize] = {
    "s-1vcpu-512mb-10gb": DropletSize(1, 512, 4.0),
    "s-1vcpu-1gb": DropletSize(1, 1024, 6.0),
    "s-1vcpu-2gb": DropletSize(1, 2048, 12.0),
    "s-2vcpu-2gb": DropletSize(2, 2048, 18.0),
    "s-2vcpu-4gb": DropletSize(2, 4096, 24.0),
    "s-4vcpu-8gb": DropletSize(4, 8192, 48.0),
    "s-8vcpu-16gb": DropletSize(8, 16384, 96.0),
    "g-2vcpu-8gb": DropletSize(2, 8192, 63.0),
    "g-4vcpu-16gb": DropletSize(4, 16384, 126.0),
    "c-2": DropletSize(2, 4096, 42.0),
    "c-4": DropletSize(4, 8192, 84.0),
}


def check_size(size: str) -> str:
    """`size` if the table has it; else a one-line error listing the sizes."""
    if size not in DROPLET_SIZES:
        raise ValueError(f"unknown droplet size {size!r}; one of: {', '.join(DROPLET_SIZES)}")
    return size
