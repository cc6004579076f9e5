"""The service contract as stack config: commands per role, port, probe paths, the app's own env.

The defaults are the reference service's (`ai-service api|worker|migrate|scheduler`, port 8000,
`/health` and `/health/ready`); a team's own FastAPI image sets these keys instead of forking code.
Every target renders a role's argv the same way: the first word as the container's entrypoint,
the rest as its arguments, so the image's own ENTRYPOINT/CMD never matter.
"""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator

from infra.contract import CONTRACT_ENV, HEALTH_PATH, READY_PATH
from infra.settings.base import ConfigModel
from infra.settings.secrets import SECRET_NAME

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
QUEUES_PLACEHOLDER = "{queues}"  # in the worker argv: the group's queues, comma separated
REFERENCE_CLI = ("ai-service",)
HTTP_PATH = r"^/[A-Za-z0-9._~/-]*$"
# Relative to the project root (Pulumi's working directory), so state reads the same on every machine.
BUILD_PATH = r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$"

Argv = tuple[str, ...]


def check_env_names(env: dict[str, str] | dict[str, SecretStr]) -> None:
    """Names a shell, Compose, Kubernetes and the clouds all accept."""
    bad = sorted(k for k in env if not ENV_NAME.match(k))
    if bad:
        raise ValueError(f"environment variable names must match {ENV_NAME.pattern}: {', '.join(bad)}")


def check_not_contract(env: dict[str, str] | dict[str, SecretStr]) -> None:
    """The app's own variables may not redefine what the stack sets (a second source of truth)."""
    owned = sorted(k for k in env if k in CONTRACT_ENV)
    if owned:
        raise ValueError(
            "; ".join(f"{k} is set by the stack ({CONTRACT_ENV[k]})" for k in owned) + ": remove it from this map"
        )


def check_plain_env(env: dict[str, str]) -> None:
    # The policy floor refuses secret-looking names in plain env on every target: say so before planning.
    secretish = sorted(k for k in env if SECRET_NAME.search(k))
    if secretish:
        raise ValueError(f"{', '.join(secretish)} look like secrets: move them to secretEnv (each value `secure:`)")


class Commands(ConfigModel):
    """The argv each role runs (entrypoint + arguments), the same image for every role."""

    api: Argv = Field(
        default=(*REFERENCE_CLI, "api"), min_length=1, description="HTTP API; must listen on 0.0.0.0:$PORT."
    )
    worker: Argv = Field(
        default=(*REFERENCE_CLI, "worker", "--queues", QUEUES_PLACEHOLDER),
        min_length=1,
        description="Queue worker; `{queues}` becomes the worker group's queues, comma separated.",
    )
    migrate: Argv = Field(
        default=(*REFERENCE_CLI, "migrate"),
        min_length=1,
        description="One-shot schema migration, run before a release takes traffic (owner database URL).",
    )
    scheduler: Argv = Field(
        default=(*REFERENCE_CLI, "scheduler"),
        min_length=1,
        description="Docker hosts only: runs `schedules` (JSON in SCHEDULES); platforms with a scheduler run them.",
    )
    task: Argv = Field(
        default=REFERENCE_CLI,
        min_length=1,
        description="Prefix of a scheduled job's argv: a schedule's `command` is appended to it.",
    )

    @field_validator("api", "worker", "migrate", "scheduler", "task")
    @classmethod
    def _no_empty_words(cls, argv: Argv) -> Argv:
        if any(not word.strip() for word in argv):
            raise ValueError("every word of a command must be non-empty")
        return argv

    @property
    def is_reference(self) -> bool:
        """Scheduled commands are the reference service's own (checked against what it can run)."""
        return self.task == REFERENCE_CLI

    def worker_argv(self, queues: tuple[str, ...]) -> Argv:
        return tuple(word.replace(QUEUES_PLACEHOLDER, ",".join(queues)) for word in self.worker)

    def task_argv(self, command: tuple[str, ...]) -> Argv:
        return (*self.task, *command)


class HealthPaths(ConfigModel):
    """The API's probe paths (plain HTTP, any Host header)."""

    liveness: str = Field(
        default=HEALTH_PATH, pattern=HTTP_PATH, description="200 while the process serves; load balancers check it."
    )
    readiness: str = Field(
        default=READY_PATH, pattern=HTTP_PATH, description="200 when the dependencies answer; gates rollouts."
    )


class Build(ConfigModel):
    """How the service image is built while `image` is empty: a docker build context and its Dockerfile."""

    context: str = Field(
        default="app", pattern=BUILD_PATH, description="Build context directory, relative to the project root."
    )
    dockerfile: str = Field(
        default="",
        pattern=rf"({BUILD_PATH})|^$",
        description="Dockerfile, relative to the project root; empty = <context>/Dockerfile.",
    )

    @property
    def dockerfile_path(self) -> str:
        return self.dockerfile or f"{self.context}/Dockerfile"
