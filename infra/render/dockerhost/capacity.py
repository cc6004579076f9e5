"""Capacity checks a docker host must pass before anything is provisioned.

- memory: the containers' limits must fit in 90% of the droplet's RAM (the rest is the OS,
  dockerd and the monitoring agent); the problem lists every container's figure and names
  `ai-service:accessories` (or `logs`) when the service fits without them.
- disk is not checked: the droplet size slug carries no disk figure and compose cannot cap a
  named volume, so accessory `sizeGi` is documentation on the docker hosts (docs/accessories.md).
- connections: API replicas × WEB_CONCURRENCY × pool size + one per worker + migrate must fit
  the managed Postgres plan's client connections.
"""

from __future__ import annotations

import re

from infra.render.dockerhost.topology import ContainerSpec
from infra.render.observability.logs import ALLOY, LOKI
from infra.settings.droplets import DROPLET_SIZES

HOST_MEMORY_SHARE = 0.9


def droplet_memory_mib(size: str) -> int:
    """The size table's memory; else the first memory figure in the slug (s-2vcpu-4gb -> 4096)."""
    if size in DROPLET_SIZES:
        return DROPLET_SIZES[size].memory_mib
    match = re.search(r"-(\d+)(gb|mb)\b", size)
    if not match:
        raise ValueError(f"cannot tell the memory of droplet size {size!r}")
    amount, unit = int(match.group(1)), match.group(2)
    return amount * 1024 if unit == "gb" else amount


def memory_problems(specs: list[ContainerSpec], size: str, key: str = "droplet.size") -> list[str]:
    total = sum(s.memory_mib for s in specs)
    allowed = int(droplet_memory_mib(size) * HOST_MEMORY_SHARE)
    if total <= allowed:
        return []
    figures = ", ".join(f"{s.name} {s.memory_mib}" for s in specs)
    accessories = sum(s.memory_mib for s in specs if s.role == "accessory")
    if accessories and total - accessories <= allowed:
        # The service fits without them: the accessories are what overcommits the host; say so.
        return [
            f"ai-service:accessories: accessories need {accessories} MiB but only "
            f"{allowed - (total - accessories)} MiB "
            f"of the {allowed} MiB budget of {size} (90%) remain after the service's containers "
            f"({total - accessories} MiB): "
            f"{figures}; lower their memory, choose a larger droplet.size or run fewer replicas"
        ]
    logs = sum(s.memory_mib for s in specs if s.name in (LOKI, ALLOY))
    if logs and total - logs <= allowed:
        # Everything else fits: the central logs are what overcommits the host; say so.
        return [
            f"ai-service:logs: Loki and Alloy need {logs} MiB but only {allowed - (total - logs)} MiB of the "
            f"{allowed} MiB budget of {size} (90%) remain after the other containers ({total - logs} MiB): {figures}; "
            "set logs.enabled: false, choose a larger droplet.size or run fewer replicas"
        ]
    return [
        f"ai-service:{key}: container memory limits sum to {total} MiB, over 90% of {size} ({allowed} MiB): {figures}; "
        "choose a larger size, fewer replicas or monitoring: false"
    ]


def connection_problems(needed: int, limit: int, db_size: str) -> list[str]:
    if needed <= limit:
        return []
    return [
        f"ai-service:database.poolSize: {needed} connections needed (api replicas × WEB_CONCURRENCY × poolSize + "
        f"workers + migrate) but {db_size} allows {limit}; lower database.poolSize or choose a larger database.size"
    ]
