"""Figures the docs quote, computed from the code that sets them, written between marker comments.

Each block is `<!-- figures:<name>:start -->` … `<!-- figures:<name>:end -->` in a docs page.
`python -m infra.tooling.docs_figures --write` regenerates them; tests/docs/test_figures.py fails when one is
stale, so a changed limit or a new container never leaves an old figure in the docs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from infra import contract
from infra.components.digitalocean.database import CONNECTION_LIMITS, DEFAULT_SIZE
from infra.render.dockerhost import capacity, topology
from infra.render.dockerhost.topology_local import local_containers
from infra.render.observability import logs
from infra.settings.model import Settings, Target

ROOT = Path(__file__).resolve().parents[2]
_PROBE = topology.HostProfile(image="<service image>", s3_bucket="probe", s3_region="probe")


def _rows(specs: list[topology.ContainerSpec]) -> list[str]:
    return [
        "| container | image | memory limit (MiB) |",
        "|---|---|---|",
        *(f"| `{s.name}` | `{s.image}` | {s.memory_mib} |" for s in specs),
    ]


def droplet_memory() -> str:
    """The default droplet's containers against its memory budget (what the plan's capacity check sees)."""
    settings = Settings(target=Target.DROPLET)
    specs = topology.docker_host_containers(settings, _PROBE)
    total = sum(s.memory_mib for s in specs)
    ram = capacity.droplet_memory_mib(settings.droplet.size)
    allowed = int(ram * capacity.HOST_MEMORY_SHARE)
    return "\n".join(
        [
            *_rows(specs),
            f"| **total** | | **{total}** of {allowed} "
            f"({capacity.HOST_MEMORY_SHARE:.0%} of {ram}, `{settings.droplet.size}`) |",
            "",
            f"With the defaults {allowed - total} MiB are left for accessories; `logs.enabled: false` frees "
            f"{logs.LOGS_MEMORY_MIB} MiB (Loki {logs.LOKI_MEMORY_MIB}, Alloy {logs.ALLOY_MEMORY_MIB}).",
            "",
            _droplet_connections(settings),
        ]
    )


def _droplet_connections(settings: Settings) -> str:

    size = settings.database.size or DEFAULT_SIZE
    workers = sum(w.replicas for w in settings.workers)
    needed = contract.connections_needed(
        settings.api_replicas, topology.WEB_CONCURRENCY, settings.database.pool_size, workers
    )
    return (
        f"Postgres connections at the defaults: {settings.api_replicas} API replicas × WEB_CONCURRENCY "
        f"{topology.WEB_CONCURRENCY} × poolSize {settings.database.pool_size} + {workers} worker processes + "
        f"migrate = {needed}, of the {CONNECTION_LIMITS[size]} that `{size}` accepts."
    )


def local_memory() -> str:
    """The local stack's containers and their limits at the defaults."""
    specs = local_containers(Settings(target=Target.LOCAL))
    total = sum(s.memory_mib for s in specs if s.restart != "no")
    return "\n".join(
        [
            *_rows(specs),
            "",
            f"The long-running containers' limits add up to {total} MiB; they are caps, not reservations.",
        ]
    )


BLOCKS: dict[str, tuple[str, Callable[[], str]]] = {
    "droplet-memory": ("docs/targets/droplet.md", droplet_memory),
    "local-memory": ("docs/targets/local.md", local_memory),
}


def markers(name: str) -> tuple[str, str]:
    return f"<!-- figures:{name}:start -->", f"<!-- figures:{name}:end -->"


def page_with_block(text: str, name: str, block: str) -> str:
    start, end = markers(name)
    if start not in text or end not in text:
        raise SystemExit(f"add {start} and {end} where the {name} figures go")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{block}\n{end}{tail}"


def wanted() -> dict[Path, str]:
    pages: dict[Path, str] = {}
    for name, (page, build) in BLOCKS.items():
        path = ROOT / page
        pages[path] = page_with_block(pages.get(path) or path.read_text(), name, build())
    return pages


def stale() -> list[Path]:
    return [path for path, text in wanted().items() if path.read_text() != text]


if __name__ == "__main__":
    changed = stale()
    if "--write" in sys.argv[1:]:
        for path, text in wanted().items():
            path.write_text(text)
    print("\n".join(f"{'wrote' if '--write' in sys.argv[1:] else 'stale'}: {p.relative_to(ROOT)}" for p in changed))
    sys.exit(1 if changed and "--write" not in sys.argv[1:] else 0)
