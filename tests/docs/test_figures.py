"""Figures the docs quote are the code's: each generated block equals what the code computes now."""

from __future__ import annotations

import pytest

from infra import docs_figures


@pytest.mark.parametrize("name", sorted(docs_figures.BLOCKS))
def test_generated_block_is_current(name: str) -> None:
    page, build = docs_figures.BLOCKS[name]
    text = (docs_figures.ROOT / page).read_text()
    assert docs_figures.page_with_block(text, name, build()) == text, (
        f"{page}: the {name} figures are stale; run: python -m infra.docs_figures --write")


def test_droplet_budget_names_the_total_the_capacity_check_uses() -> None:
    from infra import capacity, topology
    from infra.settings.model import Settings

    specs = topology.docker_host_containers(Settings(target="droplet"), docs_figures._PROBE)
    block = docs_figures.droplet_memory()
    assert f"**{sum(s.memory_mib for s in specs)}** of {int(4096 * capacity.HOST_MEMORY_SHARE)}" in block
    assert capacity.memory_problems(specs, "s-2vcpu-4gb") == []
