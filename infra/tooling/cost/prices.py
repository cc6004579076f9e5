"""List prices used by the cost model (USD per month unless the name says otherwise).

Every price names its public source and the date it was read. Prices move: update the
value, the date and the cost figures in docs/cost.md together. Targets add their provider's prices here.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.settings.droplets import CHECKED as DROPLETS_CHECKED
from infra.settings.droplets import DROPLET_SIZES
from infra.settings.droplets import SOURCE as DROPLETS_SOURCE


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str
    checked: str  # ISO date the source was read


HOURS_PER_MONTH = 730

PRICES: dict[str, Price] = {}

# Google Cloud list prices, us-central1 / Tier 1 regions, on-demand (no free tier or CUD applied).
_RUN = "https://cloud.google.com/run/pricing"
_GCP_CHECKED = "2026-11-22"
PRICES |= {
    # Cloud Run services, request-based billing (cpu_idle): while handling requests.
    "gcp.run.request.vcpu_second": Price(0.000024, "vCPU-second", _RUN, _GCP_CHECKED),
    "gcp.run.request.gib_second": Price(0.0000025, "GiB-second", _RUN, _GCP_CHECKED),
    "gcp.run.request.million": Price(0.40, "million requests", _RUN, _GCP_CHECKED),
    # Idle min instances of a request-billed service.
    "gcp.run.idle.vcpu_second": Price(0.0000025, "vCPU-second", _RUN, _GCP_CHECKED),
    "gcp.run.idle.gib_second": Price(0.0000025, "GiB-second", _RUN, _GCP_CHECKED),
    # Instance-based billing: worker pools and jobs.
    "gcp.run.instance.vcpu_second": Price(0.000018, "vCPU-second", _RUN, _GCP_CHECKED),
    "gcp.run.instance.gib_second": Price(0.000002, "GiB-second", _RUN, _GCP_CHECKED),
    "gcp.sql.db-f1-micro": Price(0.0105, "hour", "https://cloud.google.com/sql/pricing", _GCP_CHECKED),
    "gcp.sql.db-g1-small": Price(0.0350, "hour", "https://cloud.google.com/sql/pricing", _GCP_CHECKED),
    "gcp.sql.enterprise.vcpu_hour": Price(0.0413, "vCPU-hour", "https://cloud.google.com/sql/pricing", _GCP_CHECKED),
    "gcp.sql.enterprise.gib_hour": Price(0.0070, "GiB-hour", "https://cloud.google.com/sql/pricing", _GCP_CHECKED),
    "gcp.sql.ssd_gb_month": Price(0.17, "GB-month", "https://cloud.google.com/sql/pricing", _GCP_CHECKED),
    "gcp.sql.backup_gb_month": Price(0.08, "GB-month", "https://cloud.google.com/sql/pricing", _GCP_CHECKED),
    "gcp.redis.basic.gb_hour": Price(
        0.049, "GB-hour (M1, 1-4 GB)", "https://cloud.google.com/memorystore/docs/redis/pricing", _GCP_CHECKED
    ),
    "gcp.redis.standard.gb_hour": Price(
        0.064, "GB-hour (M1, 1-4 GB)", "https://cloud.google.com/memorystore/docs/redis/pricing", _GCP_CHECKED
    ),
    "gcp.artifactregistry.gb_month": Price(
        0.10, "GB-month beyond 0.5 GB free", "https://cloud.google.com/artifact-registry/pricing", _GCP_CHECKED
    ),
    "gcp.gcs.standard_gb_month": Price(0.020, "GB-month", "https://cloud.google.com/storage/pricing", _GCP_CHECKED),
    "gcp.secretmanager.version_month": Price(
        0.06, "active version-month", "https://cloud.google.com/secret-manager/pricing", _GCP_CHECKED
    ),
    # Not re-read offline on the date above: confirm on the next price check.
    "gcp.scheduler.job_month": Price(
        0.10,
        "job-month (3 free per billing account, shared by its projects)",
        "https://cloud.google.com/scheduler/pricing",
        _GCP_CHECKED,
    ),
    "gcp.dns.zone_month": Price(
        0.20, "managed zone-month (first 25)", "https://cloud.google.com/dns/pricing", _GCP_CHECKED
    ),
    "gcp.lb.forwarding_rule_hour": Price(
        0.025, "forwarding rule-hour (first 5)", "https://cloud.google.com/vpc/network-pricing", _GCP_CHECKED
    ),
    "gcp.monitoring.uptime_check": Price(
        0.0, "first 1M executions/month per project free", "https://cloud.google.com/stackdriver/pricing", _GCP_CHECKED
    ),
}

# AWS list prices, us-east-1, on-demand, Linux/x86 (no free tier or Savings Plans applied).
# Figures as given in the AWS pricing pages named below (values from issue 7's brief where it gives them).
_AWS_CHECKED = "2026-11-22"
_FARGATE = "https://aws.amazon.com/fargate/pricing/"
_VPC = "https://aws.amazon.com/vpc/pricing/"
_CW = "https://aws.amazon.com/cloudwatch/pricing/"
PRICES |= {
    "aws.fargate.vcpu_hour": Price(0.04048, "vCPU-hour", _FARGATE, _AWS_CHECKED),
    "aws.fargate.gb_hour": Price(0.004445, "GB-hour", _FARGATE, _AWS_CHECKED),
    "aws.alb.hour": Price(0.0225, "hour", "https://aws.amazon.com/elasticloadbalancing/pricing/", _AWS_CHECKED),
    "aws.alb.lcu_hour": Price(0.008, "LCU-hour", "https://aws.amazon.com/elasticloadbalancing/pricing/", _AWS_CHECKED),
    "aws.ipv4.hour": Price(0.005, "public IPv4 address-hour", _VPC, _AWS_CHECKED),
    "aws.nat.hour": Price(0.045, "NAT gateway-hour", _VPC, _AWS_CHECKED),
    "aws.nat.gb": Price(0.045, "GB processed", _VPC, _AWS_CHECKED),
    "aws.endpoint.hour": Price(
        0.01, "interface endpoint-hour per AZ", "https://aws.amazon.com/privatelink/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.t4g.micro": Price(
        0.016, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.t4g.small": Price(
        0.032, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.t4g.medium": Price(
        0.065, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.t3.micro": Price(
        0.018, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.t3.small": Price(
        0.036, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.t3.medium": Price(
        0.072, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.t4g.large": Price(
        0.129, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.m5.large": Price(
        0.178, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.m6g.large": Price(
        0.159, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.m6i.large": Price(
        0.178, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.m7g.large": Price(
        0.168, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.r6g.large": Price(
        0.225, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.rds.db.r6i.large": Price(
        0.25, "hour (PostgreSQL, single-AZ)", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED
    ),
    "aws.aurora.db.t4g.medium": Price(
        0.073, "hour (Aurora PostgreSQL)", "https://aws.amazon.com/rds/aurora/pricing/", _AWS_CHECKED
    ),
    "aws.aurora.db.r6g.large": Price(
        0.26, "hour (Aurora PostgreSQL)", "https://aws.amazon.com/rds/aurora/pricing/", _AWS_CHECKED
    ),
    "aws.aurora.db.r7g.large": Price(
        0.276, "hour (Aurora PostgreSQL)", "https://aws.amazon.com/rds/aurora/pricing/", _AWS_CHECKED
    ),
    "aws.aurora.gb_month": Price(
        0.10, "GB-month (Aurora Standard)", "https://aws.amazon.com/rds/aurora/pricing/", _AWS_CHECKED
    ),
    "aws.ebs.gp3_gb_month": Price(0.08, "GB-month", "https://aws.amazon.com/ebs/pricing/", _AWS_CHECKED),
    "aws.ebs.gp2_gb_month": Price(0.10, "GB-month", "https://aws.amazon.com/ebs/pricing/", _AWS_CHECKED),
    "aws.nlb.hour": Price(0.0225, "hour", "https://aws.amazon.com/elasticloadbalancing/pricing/", _AWS_CHECKED),
    "aws.nlb.nlcu_hour": Price(
        0.006, "NLCU-hour", "https://aws.amazon.com/elasticloadbalancing/pricing/", _AWS_CHECKED
    ),
    "aws.apigw.rest.million_requests": Price(
        3.50, "million requests (REST API, first 333M)", "https://aws.amazon.com/api-gateway/pricing/", _AWS_CHECKED
    ),
    "aws.ssm.advanced_parameter_month": Price(
        0.05, "advanced parameter-month", "https://aws.amazon.com/systems-manager/pricing/", _AWS_CHECKED
    ),
    "aws.elasticache.redis.cache.t3.micro": Price(
        0.017, "node-hour (Redis OSS)", "https://aws.amazon.com/elasticache/pricing/", _AWS_CHECKED
    ),
    "aws.elasticache.redis.cache.t4g.micro": Price(
        0.016, "node-hour (Redis OSS)", "https://aws.amazon.com/elasticache/pricing/", _AWS_CHECKED
    ),
    "aws.elasticache.redis.cache.t4g.small": Price(
        0.032, "node-hour (Redis OSS)", "https://aws.amazon.com/elasticache/pricing/", _AWS_CHECKED
    ),
    "aws.rds.gp3_gb_month": Price(0.115, "GB-month", "https://aws.amazon.com/rds/postgresql/pricing/", _AWS_CHECKED),
    "aws.elasticache.valkey.cache.t4g.micro": Price(
        0.0128, "node-hour (Valkey, 20% below Redis OSS)", "https://aws.amazon.com/elasticache/pricing/", _AWS_CHECKED
    ),
    "aws.elasticache.valkey.cache.t4g.small": Price(
        0.0256, "node-hour (Valkey)", "https://aws.amazon.com/elasticache/pricing/", _AWS_CHECKED
    ),
    "aws.s3.standard_gb_month": Price(0.023, "GB-month", "https://aws.amazon.com/s3/pricing/", _AWS_CHECKED),
    "aws.ecr.gb_month": Price(0.10, "GB-month", "https://aws.amazon.com/ecr/pricing/", _AWS_CHECKED),
    "aws.logs.ingest_gb": Price(0.50, "GB ingested", _CW, _AWS_CHECKED),
    "aws.logs.store_gb_month": Price(0.03, "GB-month archived", _CW, _AWS_CHECKED),
    "aws.cloudwatch.alarm_metric": Price(0.10, "alarm metric-month (standard resolution)", _CW, _AWS_CHECKED),
    "aws.cloudwatch.composite_alarm": Price(0.50, "composite alarm-month", _CW, "2026-12-04"),
    "aws.route53.health_check": Price(
        0.50, "AWS-endpoint health check-month", "https://aws.amazon.com/route53/pricing/", _AWS_CHECKED
    ),
    "aws.route53.health_check_feature": Price(
        1.00, "optional feature (HTTPS) per check-month", "https://aws.amazon.com/route53/pricing/", _AWS_CHECKED
    ),
    "aws.secretsmanager.secret_month": Price(
        0.40, "secret-month", "https://aws.amazon.com/secrets-manager/pricing/", _AWS_CHECKED
    ),
    "aws.lambda.gb_second": Price(
        0.0000166667, "GB-second (x86)", "https://aws.amazon.com/lambda/pricing/", _AWS_CHECKED
    ),
    "aws.lambda.million_requests": Price(
        0.20, "million requests", "https://aws.amazon.com/lambda/pricing/", _AWS_CHECKED
    ),
    "aws.apigw.http.million_requests": Price(
        1.00, "million requests (HTTP API, first 300M)", "https://aws.amazon.com/api-gateway/pricing/", _AWS_CHECKED
    ),
    "aws.scheduler.million_invocations": Price(
        1.00,
        "million invocations after 14M free per month",
        "https://aws.amazon.com/eventbridge/pricing/",
        _AWS_CHECKED,
    ),
    "aws.cloudmap.instance_month": Price(
        0.10, "registered instance-month", "https://aws.amazon.com/cloud-map/pricing/", _AWS_CHECKED
    ),
    "aws.route53.hosted_zone_month": Price(
        0.50, "hosted zone-month (first 25)", "https://aws.amazon.com/route53/pricing/", _AWS_CHECKED
    ),
}

# DigitalOcean list prices (monthly caps), all regions.
_DO_DATABASES = "https://www.digitalocean.com/pricing/managed-databases"
_DO_REGISTRY = "https://www.digitalocean.com/pricing/container-registry"
_DO_CHECKED = "2026-11-22"
PRICES |= {
    "do.database.db-s-1vcpu-1gb": Price(15.0, "month per node", _DO_DATABASES, _DO_CHECKED),
    "do.database.db-s-1vcpu-2gb": Price(30.0, "month per node", _DO_DATABASES, _DO_CHECKED),
    "do.database.db-s-2vcpu-4gb": Price(60.0, "month per node", _DO_DATABASES, _DO_CHECKED),
    "do.database.db-s-4vcpu-8gb": Price(120.0, "month per node", _DO_DATABASES, _DO_CHECKED),
    "do.registry.starter": Price(0.0, "month (500 MiB, 1 repository)", _DO_REGISTRY, _DO_CHECKED),
    "do.registry.basic": Price(5.0, "month", _DO_REGISTRY, _DO_CHECKED),
    "do.registry.professional": Price(20.0, "month", _DO_REGISTRY, _DO_CHECKED),
}

# Droplets (and DOKS nodes): the size table the settings validate `droplet.size` against.
PRICES |= {
    f"do.droplet.{slug}": Price(size.usd_month, "month", DROPLETS_SOURCE, DROPLETS_CHECKED)
    for slug, size in DROPLET_SIZES.items()
}

# DigitalOcean Kubernetes (target kubernetes). DOKS worker nodes are billed at the Droplet price of
# their size (the do.droplet.* entries above); the control plane is free unless HA.
_DOKS = "https://www.digitalocean.com/pricing/kubernetes"
PRICES |= {
    "do.kubernetes.ha_control_plane": Price(40.0, "month", _DOKS, _DO_CHECKED),
    "do.loadbalancer.small": Price(
        12.0, "month per node (one node)", "https://www.digitalocean.com/pricing/load-balancers", _DO_CHECKED
    ),
    "do.volume.gib_month": Price(0.10, "GiB-month", "https://www.digitalocean.com/pricing/volumes", _DO_CHECKED),
    "do.spaces.subscription": Price(
        5.0,
        "month (250 GiB stored, 1 TiB outbound included)",
        "https://www.digitalocean.com/pricing/spaces-object-storage",
        _DO_CHECKED,
    ),
}
