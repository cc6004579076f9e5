"""RDS Postgres in private subnets, reachable only from the workload's security group.

Two URLs, both secret: `admin_url` for the master user (owner of the schema; only the migrate
workload gets it) and `url` for the app role, which RDS cannot create: `ai-service migrate`
creates it in SQL with this password and grants it rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
from pulumi_aws import ec2, rds

from infra.components.aws.network import Network, allow_from, security_group

PORT = 5432
DB_NAME = "ai_service"
DB_USER = "ai_service"  # the master user: owner
APP_USER = "ai_service_app"  # created and granted by `ai-service migrate`


@dataclass(frozen=True)
class DatabaseArgs:
    network: Network
    client: ec2.SecurityGroup  # the only group admitted on 5432
    instance_class: str
    version: int
    protect: bool
    storage_gb: int = 20
    backup_days: int = 7


class Database(pulumi.ComponentResource):
    url: pulumi.Output[str]  # secret: the app role's postgresql://…?sslmode=require
    admin_url: pulumi.Output[str]  # secret: the master user's, for migrate only

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:aws:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.security_group = security_group(
            f"{name}-db", args.network.vpc_id, "Postgres: only from the workload", child
        )
        allow_from(
            f"{name}-db-from-workload", self.security_group, PORT, args.client, "Postgres from the workload", child
        )
        subnets = rds.SubnetGroup(name, subnet_ids=args.network.private_subnet_ids, opts=child)
        # URL-safe characters only: the password is embedded in DATABASE_URL.
        password = random.RandomPassword(f"{name}-db", length=32, special=False, opts=child)
        self.instance = rds.Instance(
            name,
            engine="postgres",
            engine_version=str(args.version),
            instance_class=args.instance_class,
            allocated_storage=args.storage_gb,
            max_allocated_storage=args.storage_gb * 5,
            storage_type="gp3",
            storage_encrypted=True,
            db_name=DB_NAME,
            username=DB_USER,
            password=password.result,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[self.security_group.id],
            publicly_accessible=False,
            backup_retention_period=args.backup_days,
            deletion_protection=args.protect,
            skip_final_snapshot=not args.protect,
            final_snapshot_identifier=f"{name}-final" if args.protect else None,
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            performance_insights_enabled=False,  # not on t4g.micro's free tier; turn on for larger classes
            apply_immediately=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        app_password = random.RandomPassword(f"{name}-db-app", length=32, special=False, opts=child)
        self.admin_url = _url(DB_USER, password.result, self.instance.address)
        self.url = _url(APP_USER, app_password.result, self.instance.address)
        self.register_outputs({"address": self.instance.address})


def _url(user: str, password: pulumi.Input[str], address: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.secret(
        pulumi.Output.all(password, address).apply(
            lambda v: f"postgresql://{user}:{v[0]}@{v[1]}:{PORT}/{DB_NAME}?sslmode=require"
        )
    )
