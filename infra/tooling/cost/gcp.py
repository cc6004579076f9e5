"""Monthly cost rules for target cloudrun (list prices in prices.py; no free tier applied).

Request-time Cloud Run charges depend on traffic and are not estimated: the API line is what
its idle min instances cost; worker pools run all month (instance-based billing). Accessories
scale to zero (request-based, not estimated). Scheduled jobs are billed per execution
(instance-based rates) at the frequency of their cron, with an assumed run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from infra.settings import schedules
from infra.tooling.cost.items import CostItem, Unpriced
from infra.tooling.cost.prices import HOURS_PER_MONTH, PRICES
from infra.tooling.resources import PlannedResource
from infra.tooling.values import unwrapped

SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
ASSUMED_RUN_S = 60  # a scheduled command: cold start + `enqueue-cleanup` (the work itself runs on a worker)
ASSUMED_IMAGE_GB = 2.0  # a few retained image versions sharing base layers
ASSUMED_BUCKET_GB = 10.0
ASSUMED_ALERTS, ASSUMED_ALERT_S = 1000, 1.0  # the Slack forwarder function: notifications a month, seconds each


def _usd(key: str) -> float:
    return PRICES[key].usd


def _rate(key: str) -> str:
    """A unit price as plain decimals ($0.000018, not $1.8e-05)."""
    return "$" + f"{PRICES[key].usd:.8f}".rstrip("0").rstrip(".")


def cpu_count(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory_gib(quantity: str) -> float:
    value = float(re.sub(r"[A-Za-z]+$", "", quantity))
    return value / 1024 if quantity.endswith("Mi") else value


DEFAULT_LIMITS = {"cpu": "1", "memory": "512Mi"}  # Cloud Run's defaults when a container sets none


def _limits(template: dict) -> tuple[float, float]:
    containers = template.get("containers") or (template.get("spec") or {}).get("containers") or [{}]
    limits = {**DEFAULT_LIMITS, **((containers[0].get("resources") or {}).get("limits") or {})}
    return cpu_count(limits["cpu"]), memory_gib(limits["memory"])


def _item(r: PlannedResource, usd: float, basis: str) -> CostItem:
    return CostItem(resource=r.name, type=r.type, monthly_usd=round(usd, 2), basis=basis)


def service(r: PlannedResource) -> Iterable[CostItem]:
    template = unwrapped(r.inputs).get("template") or {}
    cpu, gib = _limits(template)
    if r.type == "gcp:cloudrun/service:Service":  # v1: scaling is an annotation
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        minimum = int(annotations.get("autoscaling.knative.dev/minScale", 0))
    else:
        minimum = int(template.get("scaling", {}).get("minInstanceCount", 0))
    if minimum == 0:
        yield _item(
            r,
            0.0,
            f"scales to zero; {cpu:g} vCPU/{gib:g} GiB billed per request "
            f"({_rate('gcp.run.request.vcpu_second')}/vCPU-s, {_rate('gcp.run.request.gib_second')}/GiB-s), not "
            "estimated",
        )
        return
    per_instance = SECONDS_PER_MONTH * (cpu * _usd("gcp.run.idle.vcpu_second") + gib * _usd("gcp.run.idle.gib_second"))
    yield _item(
        r,
        minimum * per_instance,
        f"{minimum} min instance(s) x {cpu:g} vCPU/{gib:g} GiB idle all month at "
        f"{_rate('gcp.run.idle.vcpu_second')}/vCPU-s + {_rate('gcp.run.idle.gib_second')}/GiB-s; request time extra; "
        "with minInstances 0 this line is $0 (cold starts instead)",
    )


def worker_pool(r: PlannedResource) -> Iterable[CostItem]:
    inputs = unwrapped(r.inputs)
    cpu, gib = _limits(inputs["template"])
    count = int(inputs.get("scaling", {}).get("manualInstanceCount", 0))
    per_instance = SECONDS_PER_MONTH * (
        cpu * _usd("gcp.run.instance.vcpu_second") + gib * _usd("gcp.run.instance.gib_second")
    )
    yield _item(
        r,
        count * per_instance,
        f"{count} instance(s) x {cpu:g} vCPU/{gib:g} GiB all month at "
        f"{_rate('gcp.run.instance.vcpu_second')}/vCPU-s + {_rate('gcp.run.instance.gib_second')}/GiB-s",
    )


def scheduled_job(r: PlannedResource) -> Iterable[CostItem]:
    """A Job with a cron annotation (schedule.py); the migrate job runs once per release: not costed."""
    inputs = unwrapped(r.inputs)
    cron = (inputs.get("annotations") or {}).get("ai-service/cron")
    if cron is None:
        return
    task = inputs["template"]["template"]
    cpu, gib = _limits(task)
    runs = schedules.runs_per_month(*cron.split())
    per_run = ASSUMED_RUN_S * (cpu * _usd("gcp.run.instance.vcpu_second") + gib * _usd("gcp.run.instance.gib_second"))
    yield _item(
        r,
        runs * per_run,
        f"{runs:.4g} runs/month ('{cron}' UTC) x assumed {ASSUMED_RUN_S} s x {cpu:g} vCPU/{gib:g} GiB at "
        f"{_rate('gcp.run.instance.vcpu_second')}/vCPU-s + {_rate('gcp.run.instance.gib_second')}/GiB-s "
        f"(at most {task['timeout']} x {int(task.get('maxRetries', 0)) + 1} attempts per run)",
    )


def scheduler_job(r: PlannedResource) -> Iterable[CostItem]:
    yield _item(
        r,
        _usd("gcp.scheduler.job_month"),
        f"${_usd('gcp.scheduler.job_month'):.2f}/job-month; the 3 free jobs per billing account are not applied "
        "(every project on the account shares them)",
    )


def dns_zone(r: PlannedResource) -> Iterable[CostItem]:
    yield _item(
        r,
        _usd("gcp.dns.zone_month"),
        f"${_usd('gcp.dns.zone_month'):.2f}/managed zone-month; queries ($0.40/million) not estimated",
    )


def sql_instance(r: PlannedResource) -> Iterable[CostItem]:
    settings = unwrapped(r.inputs)["settings"]
    tier = settings["tier"]
    custom = re.match(r"^db-(?:custom|perf-optimized-N)-(\d+)-(\d+)$", tier)
    if custom:
        vcpu, gib = int(custom[1]), int(custom[2]) / 1024
        hourly = vcpu * _usd("gcp.sql.enterprise.vcpu_hour") + gib * _usd("gcp.sql.enterprise.gib_hour")
    elif f"gcp.sql.{tier}" in PRICES:
        hourly = _usd(f"gcp.sql.{tier}")
    else:
        raise Unpriced(f"tier {tier}")
    if settings.get("availabilityType") == "REGIONAL":
        hourly *= 2
    disk = float(settings.get("diskSize", 10))
    yield _item(r, hourly * HOURS_PER_MONTH, f"{tier} ENTERPRISE at ${hourly:.4f}/h x {HOURS_PER_MONTH} h")
    yield _item(
        r,
        disk * _usd("gcp.sql.ssd_gb_month"),
        f"{disk:g} GB SSD at {_rate('gcp.sql.ssd_gb_month')}/GB-month (backups billed by size, not estimated)",
    )


def redis_instance(r: PlannedResource) -> Iterable[CostItem]:
    inputs = unwrapped(r.inputs)
    gb = float(inputs.get("memorySizeGb", 1))
    key = "gcp.redis.standard.gb_hour" if inputs.get("tier") == "STANDARD_HA" else "gcp.redis.basic.gb_hour"
    yield _item(r, gb * _usd(key) * HOURS_PER_MONTH, f"{inputs.get('tier', 'BASIC')} {gb:g} GB at ${_usd(key)}/GB-hour")


def repository(r: PlannedResource) -> Iterable[CostItem]:
    billable = max(ASSUMED_IMAGE_GB - 0.5, 0)
    yield _item(
        r,
        billable * _usd("gcp.artifactregistry.gb_month"),
        f"assumed {ASSUMED_IMAGE_GB:g} GB of images, 0.5 GB free, {_rate('gcp.artifactregistry.gb_month')}/GB-month",
    )


def bucket(r: PlannedResource) -> Iterable[CostItem]:
    if (unwrapped(r.inputs).get("labels") or {}).get("purpose") == "function-source":
        yield _item(r, 0.0, "a function's source archive (a few KB)")
        return
    yield _item(
        r,
        ASSUMED_BUCKET_GB * _usd("gcp.gcs.standard_gb_month"),
        (
            f"assumed {ASSUMED_BUCKET_GB:g} GB STANDARD at {_rate('gcp.gcs.standard_gb_month')}/GB-month; "
            "operations not estimated"
        ),
    )


def secret_version(r: PlannedResource) -> Iterable[CostItem]:
    yield _item(r, _usd("gcp.secretmanager.version_month"), "1 active version; access operations not estimated")


def function(r: PlannedResource) -> Iterable[CostItem]:
    """A Cloud Run function (request-based Cloud Run billing) invoked per alert notification."""
    config = unwrapped(r.inputs).get("serviceConfig") or {}
    memory = str(config.get("availableMemory", "256M"))  # "256M", "512Mi", "1G", "1Gi"
    gib = memory_gib(memory.rstrip("i") + "i")
    vcpu = float(config.get("availableCpu") or (0.167 if gib <= 0.25 else 1))  # Google's default for the memory
    seconds = ASSUMED_ALERTS * ASSUMED_ALERT_S
    usd = seconds * (vcpu * _usd("gcp.run.request.vcpu_second") + gib * _usd("gcp.run.request.gib_second"))
    usd += ASSUMED_ALERTS / 1e6 * _usd("gcp.run.request.million")
    yield _item(r, usd, f"assumed {ASSUMED_ALERTS:,} notifications × {ASSUMED_ALERT_S:g} s × {vcpu:g} vCPU/{gib:g} GiB")


def uptime_check(r: PlannedResource) -> Iterable[CostItem]:
    yield _item(r, 0.0, PRICES["gcp.monitoring.uptime_check"].unit)


def forwarding_rule(r: PlannedResource) -> Iterable[CostItem]:
    yield _item(
        r,
        _usd("gcp.lb.forwarding_rule_hour") * HOURS_PER_MONTH,
        f"one forwarding rule at ${_usd('gcp.lb.forwarding_rule_hour')}/h; data processed not estimated",
    )


COST_RULES = {
    "gcp:cloudrunv2/service:Service": service,
    "gcp:cloudrun/service:Service": service,
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": forwarding_rule,
    "gcp:compute/forwardingRule:ForwardingRule": forwarding_rule,
    "gcp:cloudrunv2/workerPool:WorkerPool": worker_pool,
    "gcp:cloudrunv2/job:Job": scheduled_job,
    "gcp:cloudscheduler/job:Job": scheduler_job,
    "gcp:dns/managedZone:ManagedZone": dns_zone,
    "gcp:sql/databaseInstance:DatabaseInstance": sql_instance,
    "gcp:redis/instance:Instance": redis_instance,
    "gcp:artifactregistry/repository:Repository": repository,
    "gcp:storage/bucket:Bucket": bucket,
    "gcp:secretmanager/secretVersion:SecretVersion": secret_version,
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": uptime_check,
    "gcp:cloudfunctionsv2/function:Function": function,
}

FREE_TYPES = {
    "gcp:cloudrunv2/jobIamMember:JobIamMember",
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    "gcp:cloudrun/iamMember:IamMember",
    "gcp:cloudrun/iamBinding:IamBinding",
    "gcp:cloudrun/domainMapping:DomainMapping",
    "gcp:compute/globalAddress:GlobalAddress",  # a private services range: no charge while unused by a forwarding rule
    "gcp:compute/network:Network",
    "gcp:compute/subnetwork:Subnetwork",
    "gcp:compute/firewall:Firewall",
    "gcp:logging/metric:Metric",
    "gcp:monitoring/alertPolicy:AlertPolicy",
    "gcp:monitoring/customService:CustomService",
    "gcp:monitoring/slo:Slo",
    "gcp:pubsub/topic:Topic",  # alert notifications are KBs; Pub/Sub's first 10 GiB a month are free
    "gcp:pubsub/topicIAMMember:TopicIAMMember",
    "gcp:monitoring/notificationChannel:NotificationChannel",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/service:Service",
    "gcp:secretmanager/secret:Secret",
    "gcp:secretmanager/secretIamMember:SecretIamMember",
    "gcp:serviceaccount/account:Account",
    "gcp:serviceaccount/key:Key",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
    "gcp:servicenetworking/connection:Connection",
    "gcp:sql/database:Database",
    "gcp:sql/user:User",
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:storage/bucketAccessControl:BucketAccessControl",
    "gcp:storage/hmacKey:HmacKey",
    "gcp:storage/bucketObject:BucketObject",
    "gcp:dns/recordSet:RecordSet",
}
