"""The Lambda functions (API, migrate) as plain data: the CreateFunction requests written to
`--render DIR/lambda/api.json` and `lambda/migrate.json` (checked by botocore's AWS API model in the tests) and
mapped onto `lambda.Function` by the stack.

Lambda has no native Secrets Manager injection: the environment carries only the secret's
ARN (`SECRETS_ARN`), which the handler resolves at cold start; secret-looking names are refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.settings.checks import LAMBDA_GATEWAY_WAIT_S
from infra.settings.secrets import SECRET_NAME

HANDLER = "ai_service.lambda_handler.handler"
# The migrate function: the same image; loads its own secret (the owner's URL) and runs `ai-service migrate`.
MIGRATE_HANDLER = "ai_service.lambda_migrate.handler"
# The image is not an AWS base image: the runtime interface client runs the handler.
ENTRY_POINT = ("python", "-m", "awslambdaric")


def api_timeout_s(lambda_timeout_s: int, request_timeout_s: int) -> int:
    """The API function's timeout: `lambda.timeout`, shortened so it ends before the gateway stops waiting
    (`requestTimeoutS`; its default 60 leaves `lambda.timeout`, at most 29 s, as it is)."""
    return max(1, min(lambda_timeout_s, request_timeout_s - 1))


def gateway_timeout_ms(function_timeout_s: int) -> int:
    """API Gateway waits one second longer than the function (its own timeout error reaches the client),
    at most the 30 s an HTTP API allows."""
    return min(LAMBDA_GATEWAY_WAIT_S, function_timeout_s + 1) * 1000


@dataclass(frozen=True)
class LambdaFunction:
    name: str
    image_uri: str
    role_arn: str
    memory: int
    timeout: int
    environment: Mapping[str, str]
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    log_group: str
    tags: Mapping[str, str] = field(default_factory=dict)
    handler: str = HANDLER

    def __post_init__(self) -> None:
        leaked = sorted(n for n in self.environment if SECRET_NAME.search(n) and n != "SECRETS_ARN")
        if leaked:
            raise ValueError(
                f"function {self.name}: {', '.join(leaked)} must come from Secrets Manager, not environment"
            )


def create_function_request(fn: LambdaFunction) -> dict[str, Any]:
    return {
        "FunctionName": fn.name,
        "PackageType": "Image",
        "Code": {"ImageUri": fn.image_uri},
        "ImageConfig": {"EntryPoint": list(ENTRY_POINT), "Command": [fn.handler], "WorkingDirectory": "/tmp"},
        "Architectures": ["x86_64"],
        "Role": fn.role_arn,
        "MemorySize": fn.memory,
        "Timeout": fn.timeout,
        "Environment": {"Variables": dict(sorted(fn.environment.items()))},
        "VpcConfig": {"SubnetIds": list(fn.subnet_ids), "SecurityGroupIds": list(fn.security_group_ids)},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": fn.log_group},
        "TracingConfig": {"Mode": "PassThrough"},
        "Tags": dict(fn.tags),
    }


def render_request(request: dict[str, Any]) -> str:
    """The `lambda/<function>.json` artifact."""
    return json.dumps(request, indent=2, sort_keys=True) + "\n"
