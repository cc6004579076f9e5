"""Every rule the policy pack and the offline plan run: the provider-neutral ones, then each provider's.

The rule types live in infra.tooling.policy.base; a provider adds a module with its rule list
and is listed here.
"""

from __future__ import annotations

from infra.tooling.policy.aws import AWS_RULES
from infra.tooling.policy.base import COMMON_RULES, ResourceRule, StackRule
from infra.tooling.policy.digitalocean import DO_RULES
from infra.tooling.policy.docker import DOCKER_RULES
from infra.tooling.policy.gcp import GCP_RULES
from infra.tooling.policy.kubernetes import K8S_RULES

ALL_RULES: list[ResourceRule | StackRule] = [
    *COMMON_RULES,
    *GCP_RULES,
    *AWS_RULES,
    *DO_RULES,
    *K8S_RULES,
    *DOCKER_RULES,
]
