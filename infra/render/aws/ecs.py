"""ECS task definitions as plain data: the same JSON goes to `ecs.TaskDefinition` and to
`--render DIR/ecs/<service>.json` (the RegisterTaskDefinition request shape, checked by
botocore's AWS API model in the tests).

Secrets only as `secrets: [{name, valueFrom}]` (Secrets Manager ARNs): an environment name
that looks like a secret is refused here, before anything reaches AWS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from infra.settings.secrets import SECRET_NAME

APP_USER = "10001:10001"  # the image's non-root user (app/Dockerfile)
TMP_VOLUME = "tmp"  # writable scratch space under a read-only root filesystem


@dataclass(frozen=True)
class LogConfig:
    group: str
    region: str
    stream_prefix: str


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    command: tuple[str, ...]  # arguments; empty = the image's own CMD (accessories)
    log: LogConfig
    entry_point: tuple[str, ...] = ()  # empty = the image's own ENTRYPOINT
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)  # env name -> Secrets Manager valueFrom
    port: int | None = None
    health_url: str | None = None  # probed from inside the container
    essential: bool = True
    depends_on_success: tuple[str, ...] = ()  # containers that must exit 0 first (migrations)
    stop_timeout: int = 30
    cpu: int | None = None  # CPU units reserved for this container (accessories); None = share the task's
    memory: int | None = None  # hard memory limit, MiB (accessories); None = the task's memory

    def __post_init__(self) -> None:
        leaked = sorted(name for name in self.environment if SECRET_NAME.search(name))
        if leaked:
            raise ValueError(f"container {self.name}: {', '.join(leaked)} must be passed as secrets, not environment")
        both = sorted(set(self.environment) & set(self.secrets))
        if both:
            raise ValueError(f"container {self.name}: {', '.join(both)} given as both environment and secret")


class Argv(TypedDict):
    entry_point: tuple[str, ...]
    command: tuple[str, ...]


def split_argv(argv: tuple[str, ...]) -> Argv:
    """A role's whole argv as Container keywords: the first word is the entrypoint, the rest its arguments
    (the image's own ENTRYPOINT and CMD never matter)."""
    return {"entry_point": argv[:1], "command": argv[1:]}


def _health_check(url: str) -> dict[str, Any]:
    # python is in the image; curl/wget are not.
    probe = f"import urllib.request; urllib.request.urlopen('{url}', timeout=3)"
    return {"command": ["CMD", "python", "-c", probe], "interval": 15, "timeout": 5, "retries": 3, "startPeriod": 30}


def container_definition(c: Container) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": c.name,
        "image": c.image,
        "essential": c.essential,
        "user": APP_USER,
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}],
        "environment": [{"name": k, "value": v} for k, v in sorted(c.environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(c.secrets.items())],
        "stopTimeout": c.stop_timeout,
        "linuxParameters": {"initProcessEnabled": True},
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": c.log.group,
                "awslogs-region": c.log.region,
                "awslogs-stream-prefix": c.log.stream_prefix,
                "mode": "non-blocking",
                "max-buffer-size": "4m",
            },
        },
    }
    if c.entry_point:
        definition["entryPoint"] = list(c.entry_point)
    if c.command:  # empty = the image's own CMD (accessories)
        definition["command"] = list(c.command)
    if c.cpu is not None:
        definition["cpu"] = c.cpu
    if c.memory is not None:
        definition["memory"] = c.memory
    if c.port is not None:
        definition["portMappings"] = [{"containerPort": c.port, "protocol": "tcp", "name": f"{c.name}-http"}]
    if c.health_url:
        definition["healthCheck"] = _health_check(c.health_url)
    if c.depends_on_success:
        definition["dependsOn"] = [{"containerName": n, "condition": "SUCCESS"} for n in c.depends_on_success]
    return definition


def container_definitions_json(containers: list[Container]) -> str:
    names = [c.name for c in containers]
    for c in containers:
        missing = [d for d in c.depends_on_success if d not in names]
        if missing:
            raise ValueError(f"container {c.name} depends on unknown container(s) {', '.join(missing)}")
    return json.dumps([container_definition(c) for c in containers], indent=2, sort_keys=True)


@dataclass(frozen=True)
class TaskDefinition:
    family: str
    cpu: int  # CPU units
    memory: int  # MiB
    containers: list[Container]
    execution_role_arn: str
    task_role_arn: str | None  # None = no AWS identity (third-party accessories)
    tags: Mapping[str, str] = field(default_factory=dict)


def register_request(task: TaskDefinition) -> dict[str, Any]:
    """The RegisterTaskDefinition request for `task` (what `aws ecs register-task-definition --cli-input-json`
    takes)."""
    request = {
        "family": task.family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "cpu": str(task.cpu),
        "memory": str(task.memory),
        "executionRoleArn": task.execution_role_arn,
        "volumes": [{"name": TMP_VOLUME}],
        "containerDefinitions": json.loads(container_definitions_json(task.containers)),
    }
    if task.task_role_arn is not None:
        request["taskRoleArn"] = task.task_role_arn
    if task.tags:
        request["tags"] = [{"key": k, "value": v} for k, v in sorted(task.tags.items())]
    return request


def render_request(request: dict[str, Any]) -> str:
    """The `ecs/<service>.json` artifact."""
    return json.dumps(request, indent=2, sort_keys=True) + "\n"


def container_definitions_text(request: dict[str, Any]) -> str:
    """`containerDefinitions` as the JSON text `ecs.TaskDefinition` takes."""
    return json.dumps(request["containerDefinitions"], sort_keys=True)
