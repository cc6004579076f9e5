"""The Pulumi program: validate settings, then hand them to the target's stack module."""

from __future__ import annotations

import importlib

import pulumi

from infra.settings import ConfigError, Settings, Target, settings_from_pulumi_config
from infra.settings.advisories import advisories

# target -> module under stacks/ with `deploy(settings)`; imported lazily so only the chosen
# target's provider SDKs are loaded.
STACK_MODULES: dict[Target, str] = {
    Target.DROPLET: "stacks.droplet",
    Target.KUBERNETES: "stacks.kubernetes",
    Target.FARGATE: "stacks.fargate",
    Target.CLOUDRUN: "stacks.cloudrun",
    Target.LAMBDA: "stacks.aws_lambda",
    Target.LOCAL: "stacks.local",
}


def deployer(settings: Settings):
    module_name = STACK_MODULES[settings.target]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ConfigError([f"ai-service:target: target {settings.target.value!r} is not implemented yet"]) from None
    return module.deploy


def run() -> None:
    settings = settings_from_pulumi_config()
    for line in advisories(settings):
        pulumi.log.warn(line)
    deployer(settings)(settings)
