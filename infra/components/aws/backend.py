"""What the service needs on AWS whatever runs it (ECS or Lambda): the bucket, Postgres,
Valkey, the runtime secrets bundle, and the non-secret environment.

Two secrets: `secrets` for every workload (DATABASE_URL is the app role's: rows only) and
`migrate_secrets` for the migrate workload alone (DATABASE_URL and the owner's
MIGRATE_DATABASE_URL); the app's own `secretEnv` is in both. A bring-your-own `database.url` /
`redis.url` replaces the managed instance; `database.migrateUrl` is then the owner's URL.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
from pulumi_aws import ec2

from infra.components.aws.bucket import Bucket, BucketArgs
from infra.components.aws.cache import Cache, CacheArgs
from infra.components.aws.database import Database, DatabaseArgs
from infra.components.aws.network import Network
from infra.components.aws.secrets import AppSecrets
from infra.settings import Settings
from infra.settings.aws import DEFAULT_DB_INSTANCE_CLASS


@dataclass(frozen=True)
class BackendArgs:
    settings: Settings
    network: Network
    client: ec2.SecurityGroup  # the workload's group: the only one admitted to Postgres and Valkey
    cache_node_type: str


def _secret_setting(value) -> pulumi.Output[str] | None:
    return pulumi.Output.secret(value.get_secret_value()) if value is not None else None


class Backend(pulumi.ComponentResource):
    def __init__(self, name: str, args: BackendArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:aws:Backend", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        self.bucket = Bucket(
            name, BucketArgs(s.storage.tmp_expiry_days, s.storage.backup_retention_days, s.protect), child
        )
        self.database: Database | None = None
        database_url = _secret_setting(s.database.url)
        migrate_url = _secret_setting(s.database.brought_migrate_url)
        if database_url is None or migrate_url is None:
            self.database = Database(
                name,
                DatabaseArgs(
                    network=args.network,
                    client=args.client,
                    instance_class=s.database.size or DEFAULT_DB_INSTANCE_CLASS,
                    version=s.database.version,
                    protect=s.protect,
                ),
                child,
            )
            database_url, migrate_url = self.database.url, self.database.admin_url
        self.cache: Cache | None = None
        redis_url = _secret_setting(s.redis.url)
        if redis_url is None:
            self.cache = Cache(
                name, CacheArgs(network=args.network, client=args.client, node_type=args.cache_node_type), child
            )
            redis_url = self.cache.url

        secret_key = random.RandomPassword(f"{name}-secret-key", length=48, special=False, opts=child)
        values: dict[str, pulumi.Input[str]] = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": secret_key.result,
        }
        if s.api_keys is not None:
            values["API_KEYS"] = pulumi.Output.secret(s.api_keys.get_secret_value())
        else:
            generated = random.RandomPassword(f"{name}-api-key", length=40, special=False, opts=child)
            values["API_KEYS"] = generated.result.apply(lambda key: f"default:{key}")
        if s.openai_api_key is not None:
            values["OPENAI_API_KEY"] = pulumi.Output.secret(s.openai_api_key.get_secret_value())
        self.api_keys = pulumi.Output.secret(values["API_KEYS"])
        # The app's own secrets (`secretEnv`) reach every role, the migrate one included.
        app_secrets = {k: pulumi.Output.secret(v.get_secret_value()) for k, v in sorted(s.secret_env.items())}
        self.secrets = AppSecrets(name, {**values, **app_secrets}, child)
        # The owner (RDS master: rds_superuser, may create `vector`) only where migrations run.
        self.migrate_secrets = AppSecrets(
            f"{name}-migrate",
            {
                "DATABASE_URL": database_url,
                "MIGRATE_DATABASE_URL": migrate_url,
                **app_secrets,
            },
            child,
            description="ai-service migrate: the app role's and the owner's database URLs (JSON)",
        )
        self.register_outputs(
            {"bucket": self.bucket.name, "secrets": self.secrets.arn, "migrateSecrets": self.migrate_secrets.arn}
        )

    def environment(
        self, settings: Settings, region: str, allowed_hosts: pulumi.Input[str]
    ) -> pulumi.Output[dict[str, str]]:
        """The non-secret environment of every role (names from app/README.md's environment contract, then the
        app's own `env`)."""
        return pulumi.Output.all(self.bucket.name, allowed_hosts).apply(
            lambda v: {
                "APP_ENV": settings.app_env,
                "LOG_LEVEL": settings.log_level,
                "S3_BUCKET": v[0],
                "S3_REGION": region,
                "EMBEDDING_PROVIDER": settings.embedding_provider,
                "EMBEDDING_DIM": str(settings.embedding_dim),
                "MAX_UPLOAD_BYTES": str(settings.max_upload_bytes),
                "RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
                "CORS_ORIGINS": ",".join(settings.cors_origins),
                "ALLOWED_HOSTS": v[1],
                # Only the load balancer / API Gateway can reach the service, so its X-Forwarded-For is trusted.
                "FORWARDED_ALLOW_IPS": "*",
                **settings.env,  # the app's own (names the stack sets are refused by the settings)
            }
        )

    def storage_statements(self) -> list[pulumi.Output[dict]]:
        """Least privilege for the service's identity: objects in this bucket only."""
        return [
            self.bucket.arn.apply(
                lambda arn: {
                    "Sid": "Objects",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "Resource": f"{arn}/*",
                }
            ),
            self.bucket.arn.apply(
                lambda arn: {"Sid": "ListBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": arn}
            ),
        ]

    def secret_statement(self) -> pulumi.Output[dict]:
        """Read this one secret (ECS: the execution role injects it; Lambda: the function reads it)."""
        return self.secrets.arn.apply(
            lambda arn: {
                "Sid": "RuntimeSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": arn,
            }
        )

    def migrate_secret_statement(self) -> pulumi.Output[dict]:
        """Read the migrate secret (the owner's URL): only the identity that runs migrations."""
        return self.migrate_secrets.arn.apply(
            lambda arn: {
                "Sid": "MigrateSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": arn,
            }
        )
