"""List prices used by the cost model (USD per month unless the name says otherwise).

Every price names its public source and the date it was read. Prices move: update the
value, the date and the README cost table together. Targets add their provider's prices here.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    "gcp.redis.basic.gb_hour": Price(0.049, "GB-hour (M1, 1-4 GB)", "https://cloud.google.com/memorystore/docs/redis/pricing", _GCP_CHECKED),
    "gcp.redis.standard.gb_hour": Price(0.064, "GB-hour (M1, 1-4 GB)", "https://cloud.google.com/memorystore/docs/redis/pricing", _GCP_CHECKED),
    "gcp.artifactregistry.gb_month": Price(0.10, "GB-month beyond 0.5 GB free", "https://cloud.google.com/artifact-registry/pricing", _GCP_CHECKED),
    "gcp.gcs.standard_gb_month": Price(0.020, "GB-month", "https://cloud.google.com/storage/pricing", _GCP_CHECKED),
    "gcp.secretmanager.version_month": Price(0.06, "active version-month", "https://cloud.google.com/secret-manager/pricing", _GCP_CHECKED),
    "gcp.monitoring.uptime_check": Price(0.0, "first 1M executions/month per project free", "https://cloud.google.com/stackdriver/pricing", _GCP_CHECKED),
}
