"""Google Cloud programs: Cloud Run v1 (Knative-shaped) and v2, project IAM, firewalls, keys, Cloud SQL."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from tests.policy.corpus import program

PROBE = {"http_get": {"path": "/healthz"}}


def _uptime(name: str, host: str) -> None:
    gcp.monitoring.UptimeCheckConfig(
        f"{name}-uptime",
        display_name=name,
        timeout="10s",
        period="60s",
        http_check={"path": "/healthz", "port": 443, "use_ssl": True},
        monitored_resource={"type": "uptime_url", "labels": {"host": host, "project_id": "p"}},
    )


@program(
    expect={
        "gcp-dedicated-service-account",
        "gcp-public-only-run-invoker",
        "no-plaintext-secret-env",
        "images-pinned",
        "gcp-run-probes",
        "gcp-uptime-check",
    }
)
def cloudrun_v1_default_identity():
    """Cloud Run v1 from a 2021 tutorial: default compute identity, a password in env, :latest, storage admin for
    allUsers."""
    svc = gcp.cloudrun.Service(
        "hello",
        location="us-central1",
        template={
            "spec": {
                "containers": [
                    {
                        "image": "gcr.io/corpus-project/hello:latest",
                        "envs": [{"name": "DB_PASSWORD", "value": "literal"}, {"name": "GREETING", "value": "hi"}],
                    }
                ]
            }
        },
    )
    gcp.cloudrun.IamMember(
        "hello-public", service=svc.name, location="us-central1", role="roles/run.invoker", member="allUsers"
    )
    gcp.storage.BucketIAMMember(
        "hello-assets-public", bucket="hello-assets", role="roles/storage.admin", member="allUsers"
    )


@program(twin_of="cloudrun_v1_default_identity")
def cloudrun_v1_dedicated_identity():
    """The same v1 service: its own service account, the secret from Secret Manager at a pinned version, probes, an
    uptime
    check.
    """
    account = gcp.serviceaccount.Account("hello-sa", account_id="hello-run")
    svc = gcp.cloudrun.Service(
        "hello",
        location="us-central1",
        template={
            "spec": {
                "service_account_name": account.email,
                "containers": [
                    {
                        "image": "gcr.io/corpus-project/hello:1.4.2",
                        "envs": [
                            {
                                "name": "DB_PASSWORD",
                                "value_from": {"secret_key_ref": {"name": "db-password", "key": "3"}},
                            }
                        ],
                        "startup_probe": PROBE,
                        "liveness_probe": PROBE,
                    }
                ],
            }
        },
    )
    gcp.cloudrun.IamMember(
        "hello-public", service=svc.name, location="us-central1", role="roles/run.invoker", member="allUsers"
    )
    gcp.storage.BucketIAMMember(
        "hello-assets-reader",
        bucket="hello-assets",
        role="roles/storage.objectViewer",
        member=account.email.apply(lambda e: f"serviceAccount:{e}"),
    )
    _uptime("hello", "hello.example.com")


@program(expect={"gcp-run-env", "gcp-run-deletion-protection", "gcp-dedicated-service-account"})
def cloudrun_v2_latest_secret():
    """Cloud Run v2 reading a secret at 'latest', setting PORT, running as the default compute account."""
    gcp.cloudrunv2.Service(
        "api",
        location="us-central1",
        template={
            "service_account": "123456-compute@developer.gserviceaccount.com",
            "containers": [
                {
                    "image": "us-docker.pkg.dev/p/r/api:2.0.1",
                    "startup_probe": PROBE,
                    "liveness_probe": PROBE,
                    "envs": [
                        {"name": "PORT", "value": "8080"},
                        {
                            "name": "API_TOKEN",
                            "value_source": {"secret_key_ref": {"secret": "api-token", "version": "latest"}},
                        },
                    ],
                }
            ],
        },
    )
    _uptime("api", "api.example.com")


@program(twin_of="cloudrun_v2_latest_secret")
def cloudrun_v2_pinned_secret():
    account = gcp.serviceaccount.Account("api-sa", account_id="api-run")
    gcp.cloudrunv2.Service(
        "api",
        location="us-central1",
        deletion_protection=False,
        template={
            "service_account": account.email,
            "containers": [
                {
                    "image": "us-docker.pkg.dev/p/r/api@sha256:" + "b" * 64,
                    "startup_probe": PROBE,
                    "liveness_probe": PROBE,
                    "envs": [
                        {
                            "name": "API_TOKEN",
                            "value_source": {"secret_key_ref": {"secret": "api-token", "version": "4"}},
                        }
                    ],
                }
            ],
        },
    )
    _uptime("api", "api.example.com")


@program(expect={"gcp-no-primitive-roles", "long-lived-keys"})
def project_editor_and_sa_key():
    """A deployer service account made project editor, with a JSON key exported for CI."""
    account = gcp.serviceaccount.Account("deployer", account_id="deployer")
    gcp.projects.IAMMember(
        "deployer-editor",
        project="corpus-project",
        role="roles/editor",
        member=account.email.apply(lambda e: f"serviceAccount:{e}"),
    )
    key = gcp.serviceaccount.Key("deployer-key", service_account_id=account.name)
    pulumi.export("deployerKey", key.private_key)


@program(twin_of="project_editor_and_sa_key")
def project_scoped_roles_with_federation():
    """CI impersonates the deployer through Workload Identity Federation; roles are predefined and narrow."""
    account = gcp.serviceaccount.Account("deployer", account_id="deployer")
    member = account.email.apply(lambda e: f"serviceAccount:{e}")
    gcp.projects.IAMMember("deployer-run", project="corpus-project", role="roles/run.developer", member=member)
    pool = gcp.iam.WorkloadIdentityPool("github", workload_identity_pool_id="github")
    gcp.serviceaccount.IAMMember(
        "deployer-wif",
        service_account_id=account.name,
        role="roles/iam.workloadIdentityUser",
        member=pool.name.apply(lambda n: f"principalSet://iam.googleapis.com/{n}/attribute.repository/org/app"),
    )


@program(expect={"gcp-firewall-only-web-public", "ssh-not-open-to-world"})
def firewall_open_ports():
    """A default-network style firewall: SSH and Postgres from 0.0.0.0/0."""
    gcp.compute.Firewall(
        "allow-admin",
        network="default",
        source_ranges=["0.0.0.0/0"],
        allows=[{"protocol": "tcp", "ports": ["22", "5432"]}],
    )


@program(twin_of="firewall_open_ports")
def firewall_web_only():
    gcp.compute.Firewall(
        "allow-web",
        network="default",
        source_ranges=["0.0.0.0/0"],
        allows=[{"protocol": "tcp", "ports": ["80", "443"]}],
    )
    gcp.compute.Firewall(
        "allow-iap-ssh",
        network="default",
        source_ranges=["35.235.240.0/20"],
        allows=[{"protocol": "tcp", "ports": ["22"]}],
    )


@program(expect={"gcp-sql-private", "gcp-sql-pitr"})
def cloudsql_public_postgres15_shared_core():
    """Postgres 15 on db-f1-micro (edition irrelevant before 16), but a public IP open to the world, no TLS
    requirement."""
    gcp.sql.DatabaseInstance(
        "db",
        database_version="POSTGRES_15",
        region="us-central1",
        deletion_protection=False,
        settings={
            "tier": "db-f1-micro",
            "backup_configuration": {"enabled": True},
            "ip_configuration": {"ipv4_enabled": True, "authorized_networks": [{"name": "all", "value": "0.0.0.0/0"}]},
        },
    )


@program(twin_of="cloudsql_public_postgres15_shared_core")
def cloudsql_private_postgres15_shared_core():
    """The same small Postgres 15 without `edition`: private, TLS only, backups and PITR (no edition false alarm)."""
    gcp.sql.DatabaseInstance(
        "db",
        database_version="POSTGRES_15",
        region="us-central1",
        deletion_protection=False,
        settings={
            "tier": "db-f1-micro",
            "backup_configuration": {"enabled": True, "point_in_time_recovery_enabled": True},
            "ip_configuration": {
                "ipv4_enabled": False,
                "private_network": "projects/p/global/networks/vpc",
                "ssl_mode": "ENCRYPTED_ONLY",
            },
        },
    )


@program(expect={"gcp-sql-private"})
def cloudsql_postgres16_shared_core_no_edition():
    """Postgres 16 on a shared-core tier without edition ENTERPRISE: the create call fails (ENTERPRISE_PLUS default)."""
    gcp.sql.DatabaseInstance(
        "db16",
        database_version="POSTGRES_16",
        region="us-central1",
        deletion_protection=False,
        settings={
            "tier": "db-g1-small",
            "backup_configuration": {"enabled": True, "point_in_time_recovery_enabled": True},
            "ip_configuration": {
                "ipv4_enabled": False,
                "private_network": "projects/p/global/networks/vpc",
                "ssl_mode": "ENCRYPTED_ONLY",
            },
        },
    )


@program(twin_of="cloudsql_postgres16_shared_core_no_edition")
def cloudsql_postgres16_enterprise():
    gcp.sql.DatabaseInstance(
        "db16",
        database_version="POSTGRES_16",
        region="us-central1",
        deletion_protection=False,
        settings={
            "tier": "db-g1-small",
            "edition": "ENTERPRISE",
            "backup_configuration": {"enabled": True, "point_in_time_recovery_enabled": True},
            "ip_configuration": {
                "ipv4_enabled": False,
                "private_network": "projects/p/global/networks/vpc",
                "ssl_mode": "ENCRYPTED_ONLY",
            },
        },
    )


@program(expect={"gcp-bucket-protected", "gcp-bucket-practice", "gcp-public-only-run-invoker"})
def gcs_legacy_acl_public():
    """A bucket with fine-grained ACLs and a public-read ACL entry (the older ACL API)."""
    bucket = gcp.storage.Bucket("media", location="US")
    gcp.storage.BucketAccessControl("media-public", bucket=bucket.name, role="READER", entity="allUsers")


@program(twin_of="gcs_legacy_acl_public")
def gcs_uniform_private():
    gcp.storage.Bucket(
        "media",
        location="US",
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning={"enabled": True},
        lifecycle_rules=[{"action": {"type": "Delete"}, "condition": {"age": 30, "with_state": "ARCHIVED"}}],
    )


@program(expect={"gcp-redis-private", "gcp-scheduler-authenticated", "gcp-alerts-notify"})
def memorystore_open_and_scheduler_anonymous():
    """Redis without AUTH/TLS; a scheduler job calling a private endpoint without a token; an alert that notifies
    nobody."""
    gcp.redis.Instance("cache", memory_size_gb=1, region="us-central1")
    gcp.cloudscheduler.Job(
        "nightly",
        schedule="0 3 * * *",
        region="us-central1",
        http_target={"uri": "https://api.example.com/tasks/nightly", "http_method": "POST"},
    )
    gcp.monitoring.AlertPolicy(
        "errors",
        display_name="errors",
        combiner="OR",
        conditions=[
            {
                "display_name": "5xx",
                "condition_threshold": {
                    "filter": 'metric.type="run.googleapis.com/request_count"',
                    "comparison": "COMPARISON_GT",
                    "duration": "60s",
                },
            }
        ],
    )


@program(twin_of="memorystore_open_and_scheduler_anonymous")
def memorystore_private_and_scheduler_oidc():
    account = gcp.serviceaccount.Account("scheduler", account_id="scheduler")
    gcp.redis.Instance(
        "cache",
        memory_size_gb=1,
        region="us-central1",
        auth_enabled=True,
        transit_encryption_mode="SERVER_AUTHENTICATION",
        authorized_network="projects/p/global/networks/vpc",
    )
    gcp.cloudscheduler.Job(
        "nightly",
        schedule="0 3 * * *",
        region="us-central1",
        http_target={
            "uri": "https://api.example.com/tasks/nightly",
            "http_method": "POST",
            "oidc_token": {"service_account_email": account.email},
        },
    )
    channel = gcp.monitoring.NotificationChannel("oncall", type="email", labels={"email_address": "oncall@example.com"})
    gcp.monitoring.AlertPolicy(
        "errors",
        display_name="errors",
        combiner="OR",
        notification_channels=[channel.name],
        conditions=[
            {
                "display_name": "5xx",
                "condition_threshold": {
                    "filter": 'metric.type="run.googleapis.com/request_count"',
                    "comparison": "COMPARISON_GT",
                    "duration": "60s",
                },
            }
        ],
    )


@program(expect={"gcp-dedicated-service-account", "gcp-run-env"})
def cloud_function_default_identity():
    """A 2nd gen Cloud Function from a quickstart: default compute identity, a token in its env map, a secret
    read at 'latest'."""
    gcp.cloudfunctionsv2.Function(
        "notify",
        location="us-central1",
        build_config={
            "runtime": "python312",
            "entry_point": "handle",
            "source": {"storage_source": {"bucket": "corpus-sources", "object": "notify.zip"}},
        },
        service_config={
            "environment_variables": {"SLACK_TOKEN": "xoxb-literal", "LEVEL": "info"},
            "secret_environment_variables": [
                {"key": "WEBHOOK", "project_id": "p", "secret": "webhook", "version": "latest"}
            ],
        },
    )


@program(twin_of="cloud_function_default_identity")
def cloud_function_dedicated_identity():
    account = gcp.serviceaccount.Account("notify-sa", account_id="notify-fn")
    gcp.cloudfunctionsv2.Function(
        "notify",
        location="us-central1",
        build_config={
            "runtime": "python312",
            "entry_point": "handle",
            "source": {"storage_source": {"bucket": "corpus-sources", "object": "notify.zip"}},
        },
        service_config={
            "service_account_email": account.email,
            "environment_variables": {"LEVEL": "info"},
            "secret_environment_variables": [
                {"key": "WEBHOOK", "project_id": "p", "secret": "webhook", "version": "3"}
            ],
        },
    )
