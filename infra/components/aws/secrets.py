"""The service's secrets as one Secrets Manager secret (a JSON object of env names -> values).

One secret costs $0.40/month instead of one per variable; ECS injects single keys with
`valueFrom: <arn>:<KEY>::`, and the task role may read only this ARN. Each accessory with
secret env gets its own bundle, readable only by that accessory's execution role.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pulumi
from pulumi_aws import secretsmanager


class AppSecrets(pulumi.ComponentResource):
    arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        values: Mapping[str, pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
        description: str = "ai-service runtime secrets (JSON: env name -> value)",
    ):
        super().__init__("ai-service:aws:AppSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.names = tuple(sorted(values))
        self.secret = secretsmanager.Secret(name, description=description, recovery_window_in_days=7, opts=child)
        document = pulumi.Output.all(**dict(values)).apply(lambda v: json.dumps(v, sort_keys=True))
        version = secretsmanager.SecretVersion(
            name, secret_id=self.secret.id, secret_string=pulumi.Output.secret(document), opts=child
        )
        self.arn = self.secret.arn
        self.version_id = version.version_id  # changes with the content (e.g. a rotated password)
        self.register_outputs({"arn": self.arn})

    def value_from(self, key: str) -> pulumi.Output[str]:
        """ECS `valueFrom` for one key of the JSON secret."""
        if key not in self.names:
            raise KeyError(f"secret {key} is not in the bundle ({', '.join(self.names)})")
        return self.arn.apply(lambda arn: f"{arn}:{key}::")
