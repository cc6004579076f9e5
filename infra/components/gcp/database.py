"""Cloud SQL for PostgreSQL on a private IP only, with backups and point-in-time recovery.

Two roles: the admin user, created through the Cloud SQL API (a member of cloudsqlsuperuser:
it owns the schema and may create `vector`), runs migrations; the app role serves. Users the API
creates are all cloudsqlsuperuser members, so the app role is not one of them: `ai-service
migrate` creates it in SQL with the password generated here and grants it rows only. Clients
connect over the VPC with TLS required (`sslmode=require`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
from pulumi_gcp import sql

from infra.components.gcp.common import children

DATABASE = "ai_service"
APP_USER = "ai_service_app"  # created by `ai-service migrate`, not the Cloud SQL API
ADMIN_USER = "ai_service_admin"
BACKUP_START_UTC = "03:00"
BACKUPS_KEPT = 7
LOG_RETENTION_DAYS = 7  # PITR window


@dataclass(frozen=True)
class DatabaseArgs:
    instance_name: str
    region: str
    version: int
    tier: str
    disk_gb: int
    network: pulumi.Input[str]
    protect: bool


def database_url(user: str, password: str, host: str) -> str:
    return f"postgresql://{user}:{password}@{host}:5432/{DATABASE}?sslmode=require"


class CloudSqlPostgres(pulumi.ComponentResource):
    instance: sql.DatabaseInstance
    app_url: pulumi.Output[str]
    admin_url: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:gcp:CloudSqlPostgres", name, None, opts)
        child = self._children = children(self, opts)
        self.instance = sql.DatabaseInstance(
            name,
            name=args.instance_name,
            region=args.region,
            database_version=f"POSTGRES_{args.version}",
            deletion_protection=args.protect,  # Pulumi-side guard
            settings={
                "tier": args.tier,
                # PG16 defaults to ENTERPRISE_PLUS, which rejects shared-core tiers.
                "edition": "ENTERPRISE",
                "availability_type": "ZONAL",
                "disk_type": "PD_SSD",
                "disk_size": args.disk_gb,
                "disk_autoresize": True,
                "deletion_protection_enabled": args.protect,  # API-side guard (console, gcloud)
                "ip_configuration": {
                    "ipv4_enabled": False,  # no public IP at all
                    "private_network": args.network,
                    "ssl_mode": "ENCRYPTED_ONLY",
                },
                "backup_configuration": {
                    "enabled": True,
                    "start_time": BACKUP_START_UTC,
                    "point_in_time_recovery_enabled": True,
                    "transaction_log_retention_days": LOG_RETENTION_DAYS,
                    "backup_retention_settings": {"retained_backups": BACKUPS_KEPT, "retention_unit": "COUNT"},
                },
                "maintenance_window": {"day": 7, "hour": 4, "update_track": "stable"},
                "insights_config": {"query_insights_enabled": True},
            },
            opts=children(self, opts, protect=args.protect),
        )
        sql.Database(name, name=DATABASE, instance=self.instance.name, opts=child)
        self.app_url = self._url(APP_USER, self._password(f"{name}-app"))
        admin_password = self._password(f"{name}-admin")
        sql.User(f"{name}-admin", name=ADMIN_USER, instance=self.instance.name, password=admin_password, opts=child)
        self.admin_url = self._url(ADMIN_USER, admin_password)
        self.register_outputs({"instance": self.instance.connection_name})

    def _password(self, name: str) -> pulumi.Output[str]:
        return random.RandomPassword(name, length=32, special=False, opts=self._children).result  # URL-safe

    def _url(self, user: str, password: pulumi.Output[str]) -> pulumi.Output[str]:
        url = pulumi.Output.all(password, self.instance.private_ip_address).apply(
            lambda v: database_url(user, v[0], v[1])
        )
        return pulumi.Output.secret(url)
