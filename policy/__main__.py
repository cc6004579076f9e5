"""`pulumi preview --policy-pack policy`: the same rules the offline plan runs."""

from adapters import to_policy
from pulumi_policy import PolicyPack

from infra.tooling.policy import ALL_RULES

PolicyPack(name="ai-service-floor", policies=[to_policy(rule) for rule in ALL_RULES])
