"""Run the real Pulumi program under the SDK's mocks and capture what it registers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import wait_for_rpcs

from infra.components import artifacts
from infra.tooling.plan.mocks import PlanMocks, RecordingMonitor
from infra.tooling.plan.stackfile import StackConfig
from infra.tooling.resources import PlannedResource
from infra.tooling.values import Secret


@dataclass
class ProgramRun:
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    artifacts: dict[str, Any] = field(default_factory=dict)  # path -> text (or Secret)


async def _resolve(value: Any) -> Any:
    """Resolve an Output (or nested structure of them) to plain data, keeping secrets as Secret."""
    if isinstance(value, pulumi.Output):
        inner = await value.future()
        resolved = await _resolve(inner)
        return Secret(resolved) if await value.is_secret() else resolved
    if isinstance(value, dict):
        return {k: await _resolve(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [await _resolve(v) for v in value]
    return value


def run_program(program, config: StackConfig, monitor: RecordingMonitor | None = None) -> ProgramRun:
    """Execute `program()` against a fresh mock engine configured with `config`."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = monitor or RecordingMonitor(PlanMocks())
    runtime_settings.reset_options()
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))
    pulumi.runtime.set_mocks(PlanMocks(), project=config.project, stack=config.stack, preview=False, monitor=monitor)
    artifacts.take_published()  # nothing left over from an earlier run in this process

    async def go() -> ProgramRun:
        program()
        await wait_for_rpcs()
        root = runtime_settings.get_root_resource()
        outputs = {k: await _resolve(v) for k, v in getattr(root, "outputs", {}).items()}
        rendered = {a.path: await _resolve(pulumi.Output.from_input(a.content)) for a in artifacts.take_published()}
        await wait_for_rpcs()
        return ProgramRun(resources=monitor.planned, outputs=outputs, artifacts=rendered)

    try:
        return loop.run_until_complete(go())
    finally:
        artifacts.take_published()
        loop.close()
        asyncio.set_event_loop(None)
