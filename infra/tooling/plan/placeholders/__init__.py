"""Deterministic stand-ins for values only the cloud knows, and which outputs are secret.

Real providers compute ids, addresses and generated passwords; under mocks we return stable,
obviously-fake values (TEST-NET addresses, `.invalid` hosts, `placeholder-…` strings) so plans
are reproducible and nobody mistakes them for real ones. Providers also mark some outputs secret
(`additionalSecretOutputs`), which mocks do not apply: SECRET_OUTPUTS restores that.

Each provider has a module with three tables (COMPUTED, SECRET_OUTPUTS, INVOKES); add a
provider by adding its module to PROVIDER_TABLES.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from infra.tooling.plan.placeholders import aws, common, digitalocean, docker, gcp, kubernetes
from infra.tooling.plan.placeholders.base import Outputs

PROVIDER_TABLES: tuple[ModuleType, ...] = (common, gcp, aws, docker, digitalocean, kubernetes)

COMPUTED: dict[str, Callable[[str, Outputs], Outputs]] = {}
SECRET_OUTPUTS: dict[str, frozenset[str]] = {}
INVOKES: dict[str, Callable[[dict], dict]] = {}
for _table in PROVIDER_TABLES:
    COMPUTED.update(_table.COMPUTED)
    SECRET_OUTPUTS.update(_table.SECRET_OUTPUTS)
    INVOKES.update(getattr(_table, "INVOKES", {}))
