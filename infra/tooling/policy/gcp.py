"""Google Cloud rules (target cloudrun): least-privilege IAM, private data services, bucket
protections, secrets by reference, Cloud Run specifics (PORT, probes, deletion protection),
authenticated Cloud Scheduler targets."""

from __future__ import annotations

from collections.abc import Iterable

from infra.settings.secrets import SECRET_NAME
from infra.tooling.policy.base import OPEN_WORLD, Level, ResourceRule, ResourceView, Risk, StackRule, _walk

PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
RUN_V1 = "gcp:cloudrun/service:Service"  # the older Knative-shaped API (still the only one with domain mappings)
RUN_WORKLOADS = {
    "gcp:cloudrunv2/service:Service",
    "gcp:cloudrunv2/job:Job",
    "gcp:cloudrunv2/workerPool:WorkerPool",
    RUN_V1,
}
RUN_SERVICES = {"gcp:cloudrunv2/service:Service", RUN_V1}
FUNCTION_V2 = "gcp:cloudfunctionsv2/function:Function"  # a Cloud Run function: a Cloud Run service underneath
PUBLIC_INVOKER_TYPES = {
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding",
    "gcp:cloudrun/iamMember:IamMember",
    "gcp:cloudrun/iamBinding:IamBinding",
}
ACL_TYPES = {
    "gcp:storage/bucketAccessControl:BucketAccessControl",
    "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
    "gcp:storage/objectAccessControl:ObjectAccessControl",
    "gcp:storage/bucketACL:BucketACL",
    "gcp:storage/defaultObjectACL:DefaultObjectACL",
}
# Cloud SQL for PostgreSQL 16 and later defaults to the ENTERPRISE_PLUS edition, which rejects shared-core tiers.
ENTERPRISE_PLUS_DEFAULT = ("POSTGRES_16", "POSTGRES_17", "POSTGRES_18")
PUBLIC_WEB_PORTS = {"80", "443"}
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
BUCKET = "gcp:storage/bucket:Bucket"
REDIS = "gcp:redis/instance:Instance"
SHARED_CORE_TIERS = {"db-f1-micro", "db-g1-small"}
SCHEDULER = "gcp:cloudscheduler/job:Job"
ACCESSORY_LABEL = ("ai-service-role", "accessory")  # infra/components/gcp/accessory.py


def _is_iam(view: ResourceView) -> bool:
    return view.type.startswith("gcp:") and (
        "IamMember" in view.type or "IAMMember" in view.type or "IamBinding" in view.type or "IAMBinding" in view.type
    )


def _members(props: dict) -> set[str]:
    return {props["member"]} if isinstance(props.get("member"), str) else set(props.get("members") or [])


def _no_primitive_roles(view: ResourceView) -> Iterable[str]:
    if _is_iam(view) and view.props.get("role") in PRIMITIVE_ROLES:
        yield f"grants primitive role {view.props['role']}; grant a predefined role on the one resource instead"


def _public_only_run_invoker(view: ResourceView) -> Iterable[str]:
    if view.type in ACL_TYPES:
        entities = {view.props.get("entity"), *(view.props.get("roleEntities") or [])}
        public = {e for e in entities if isinstance(e, str) and any(m in e for m in PUBLIC_MEMBERS)}
        if public:
            yield f"ACL grants {', '.join(sorted(public))}; objects become public"
        return
    if not _is_iam(view):
        return
    public = _members(view.props) & PUBLIC_MEMBERS
    allowed = view.type in PUBLIC_INVOKER_TYPES and view.props.get("role") == "roles/run.invoker"
    if public and not allowed:
        yield (
            f"grants {view.props.get('role')} to {', '.join(sorted(public))}; only Cloud Run run.invoker may be public"
        )


def _firewall_world(view: ResourceView) -> Iterable[str]:
    """A VPC firewall rule may open only 80/443 to 0.0.0.0/0 (SSH: ssh-not-open-to-world)."""
    if view.type != "gcp:compute/firewall:Firewall" or view.props.get("direction", "INGRESS") != "INGRESS":
        return
    if not set(view.props.get("sourceRanges") or []) & OPEN_WORLD:
        return
    for allow in view.props.get("allows") or []:
        ports = [str(p) for p in allow.get("ports") or []] or ["all"]
        wide = [p for p in ports if p not in PUBLIC_WEB_PORTS and p != "22"]
        if wide:
            yield f"admits 0.0.0.0/0 on {allow.get('protocol')} {', '.join(wide)}; only 80/443 may face the internet"


def _templates(view: ResourceView) -> list[dict]:
    """The pod-level templates of a Cloud Run workload (jobs nest one level deeper; v1 under spec)."""
    template = view.props.get("template") or {}
    if view.type == RUN_V1:
        spec = template.get("spec") or {}
        return [{"serviceAccount": spec.get("serviceAccountName"), "containers": spec.get("containers") or []}]
    return [template.get("template") or {}] if view.type == "gcp:cloudrunv2/job:Job" else [template]


def _dedicated_identity(view: ResourceView) -> Iterable[str]:
    if view.type == FUNCTION_V2:
        templates = [{"serviceAccount": (view.props.get("serviceConfig") or {}).get("serviceAccountEmail")}]
    elif view.type in RUN_WORKLOADS:
        templates = _templates(view)
    else:
        return
    for template in templates:
        account = template.get("serviceAccount") or ""
        if not account:
            yield "runs as the default compute service account (Editor); set a dedicated service account"
        elif str(account).endswith("-compute@developer.gserviceaccount.com"):
            yield f"runs as the default compute service account {account}; use a dedicated one"


def _function_env(view: ResourceView) -> Iterable[str]:
    """A Cloud Run function's env is a map, and its secrets name a version of their own."""
    config = view.props.get("serviceConfig") or {}
    for name, value in (config.get("environmentVariables") or {}).items():
        if SECRET_NAME.search(str(name)) and value and value not in view.secret_values:
            yield f"env {name} is a plaintext value; use secret_environment_variables (Secret Manager)"
    for ref in config.get("secretEnvironmentVariables") or []:
        if str(ref.get("version", "latest")) == "latest":
            yield f"secret {ref.get('secret')} is read at 'latest'; pin the version so a revision is reproducible"


def _run_env(view: ResourceView) -> Iterable[str]:
    if view.type == FUNCTION_V2:
        yield from _function_env(view)
        return
    if view.type not in RUN_WORKLOADS:
        return
    for node in _walk(view.props):
        if not isinstance(node, dict):
            continue
        if node.get("name") == "PORT" and ("value" in node or "valueSource" in node):
            yield "sets PORT in env; Cloud Run sets it from the container port and rejects the deployment"
        ref = node.get("secretKeyRef")
        if isinstance(ref, dict) and str(ref.get("key" if view.type == RUN_V1 else "version", "latest")) == "latest":
            yield (
                f"secret {ref.get('secret') or ref.get('name')} is read at 'latest'; pin the version so a revision "
                "is reproducible"
            )


def _deletion_protection_explicit(view: ResourceView) -> Iterable[str]:
    if view.type in RUN_WORKLOADS - {RUN_V1} and "deletionProtection" not in view.props:
        yield "deletion_protection is not set (the provider defaults it to true); tie it to `protect`"


def _service_probes(view: ResourceView) -> Iterable[str]:
    if view.type not in RUN_SERVICES:
        return
    # An accessory's health path is unknown and Cloud Run liveness probes are HTTP/gRPC only: startup (TCP) suffices.
    accessory = (view.props.get("labels") or {}).get(ACCESSORY_LABEL[0]) == ACCESSORY_LABEL[1]
    probes = ("startupProbe",) if accessory else ("startupProbe", "livenessProbe")
    for container in _templates(view)[0].get("containers") or []:
        for probe in probes:
            if not container.get(probe):
                yield f"container has no {probe}; Cloud Run cannot tell a hung instance from a healthy one"


def _private_sql(view: ResourceView) -> Iterable[str]:
    if view.type != SQL:
        return
    settings = view.props.get("settings") or {}
    ip = settings.get("ipConfiguration") or {}
    if ip.get("ipv4Enabled", True):
        yield "has a public IPv4 address; set ip_configuration.ipv4_enabled false and use private service access"
    if not ip.get("privateNetwork"):
        yield "has no private network; attach it to the VPC through private service access"
    if ip.get("sslMode") not in {"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"}:
        yield "accepts unencrypted connections; set ip_configuration.ssl_mode ENCRYPTED_ONLY"
    for network in ip.get("authorizedNetworks") or []:
        if network.get("value") in OPEN_WORLD:
            yield f"authorized network {network.get('value')} admits the whole internet"
    backups = settings.get("backupConfiguration") or {}
    if not backups.get("enabled"):
        yield "automated backups are off: a lost instance loses the data"
    version = str(view.props.get("databaseVersion") or "")
    if (
        settings.get("tier") in SHARED_CORE_TIERS
        and version.startswith(ENTERPRISE_PLUS_DEFAULT)
        and settings.get("edition") != "ENTERPRISE"
    ):
        yield (
            f"shared-core tier {settings.get('tier')} needs edition ENTERPRISE ({version} defaults to ENTERPRISE_PLUS)"
        )
    if view.protect and not (view.props.get("deletionProtection") and settings.get("deletionProtectionEnabled")):
        yield "is Pulumi-protected but deletion protection is off; set both deletion_protection flags"


def _protected_bucket(view: ResourceView) -> Iterable[str]:
    if view.type != BUCKET:
        return
    if not view.props.get("uniformBucketLevelAccess"):
        yield "uses object ACLs; set uniform_bucket_level_access"
    if view.props.get("publicAccessPrevention") != "enforced":
        yield "public access prevention is not enforced"


def _bucket_practice(view: ResourceView) -> Iterable[str]:
    if view.type != BUCKET:
        return
    if not (view.props.get("versioning") or {}).get("enabled"):
        yield "versioning is off; overwritten or deleted objects cannot be restored"
    if not view.props.get("lifecycleRules"):
        yield "no lifecycle rule: temporary objects and old versions are kept forever"


def _private_redis(view: ResourceView) -> Iterable[str]:
    if view.type != REDIS:
        return
    if not view.props.get("authEnabled"):
        yield "AUTH is off"
    if view.props.get("transitEncryptionMode") != "SERVER_AUTHENTICATION":
        yield "in-transit encryption is off; clients would send the AUTH string in clear"
    if not view.props.get("authorizedNetwork"):
        yield "has no authorized network; it must be reachable only from the VPC"


def _scheduler_authenticated(view: ResourceView) -> Iterable[str]:
    if view.type != SCHEDULER:
        return
    target = view.props.get("httpTarget") or {}
    token = target.get("oauthToken") or target.get("oidcToken")
    if target and not token:
        yield "HTTP target sends no OAuth/OIDC token; give it a dedicated service account allowed only to run its job"
    elif token and str(token.get("serviceAccountEmail", "")).endswith("-compute@developer.gserviceaccount.com"):
        yield "HTTP target authenticates as the default compute service account (Editor); use a dedicated one"


def _sql_pitr(view: ResourceView) -> Iterable[str]:
    if view.type != SQL:
        return
    backups = (view.props.get("settings") or {}).get("backupConfiguration") or {}
    if backups.get("enabled") and not backups.get("pointInTimeRecoveryEnabled"):
        yield "point-in-time recovery is off: a restore loses everything since the last nightly backup"


def _uptime_check_present(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    services = [v for v in views if v.type in RUN_SERVICES]
    if services and not any(v.type == "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig" for v in views):
        for service in services:
            yield service.name, "no Cloud Monitoring uptime check watches this service"


def _alerts_notify(view: ResourceView) -> Iterable[str]:
    if view.type == "gcp:monitoring/alertPolicy:AlertPolicy" and not view.props.get("notificationChannels"):
        yield "alerts go nowhere; set cloudrun.notificationEmail (or letsencryptEmail)"


def _rule(
    name: str, description: str, check, level: Level = Level.MANDATORY, risk: Risk = Risk.RELIABILITY
) -> ResourceRule:
    return ResourceRule(name=name, description=description, level=level, check=check, risk=risk)


GCP_RULES: list[ResourceRule | StackRule] = [
    _rule(
        "gcp-no-primitive-roles",
        "No owner/editor/viewer grants: primitive roles reach every service in the project.",
        _no_primitive_roles,
        risk=Risk.PRIVILEGE,
    ),
    _rule(
        "gcp-public-only-run-invoker",
        (
            "allUsers only ever gets run.invoker on a Cloud Run service (IAM or ACL): anything else is public data "
            "or control."
        ),
        _public_only_run_invoker,
        risk=Risk.PUBLIC_EXPOSURE,
    ),
    _rule(
        "gcp-firewall-only-web-public",
        "VPC firewall rules open only 80/443 to the internet: every other open port is attack surface.",
        _firewall_world,
        risk=Risk.PUBLIC_EXPOSURE,
    ),
    _rule(
        "gcp-dedicated-service-account",
        "Cloud Run workloads (v1, v2, functions) run as a dedicated service account: the default one is Editor.",
        _dedicated_identity,
        risk=Risk.PRIVILEGE,
    ),
    _rule(
        "gcp-run-env",
        "Cloud Run env: no PORT (rejected), secrets pinned to a version (a rollback must not read a newer one), "
        "no plaintext secrets in a function's env map.",
        _run_env,
        risk=Risk.SECRETS,
    ),
    _rule(
        "gcp-run-deletion-protection",
        "Cloud Run deletion protection is set explicitly (practice: the provider default blocks `pulumi destroy`).",
        _deletion_protection_explicit,
        Level.ADVISORY,
    ),
    _rule(
        "gcp-run-probes",
        "Cloud Run services have startup and liveness probes (practice: a hung instance is replaced).",
        _service_probes,
        Level.ADVISORY,
    ),
    _rule(
        "gcp-sql-private",
        (
            "Cloud SQL: private IP only, TLS, backups on, edition fits tier (PG16+), deletion protection: exposure "
            "and data loss."
        ),
        _private_sql,
        risk=Risk.PUBLIC_EXPOSURE,
    ),
    _rule(
        "gcp-sql-pitr",
        "Cloud SQL keeps point-in-time recovery logs (practice: restores lose less than a day).",
        _sql_pitr,
        Level.ADVISORY,
        Risk.DURABILITY,
    ),
    _rule(
        "gcp-bucket-protected",
        "GCS: uniform bucket-level access and enforced public access prevention: no object can be made public.",
        _protected_bucket,
        risk=Risk.PUBLIC_EXPOSURE,
    ),
    _rule(
        "gcp-bucket-practice",
        "GCS: versioning and lifecycle rules (practice: overwrites are recoverable, temporary data expires).",
        _bucket_practice,
        Level.ADVISORY,
        Risk.DURABILITY,
    ),
    _rule(
        "gcp-redis-private",
        "Memorystore: AUTH, in-transit encryption, VPC only: the AUTH string must not travel in clear.",
        _private_redis,
        risk=Risk.ENCRYPTION,
    ),
    _rule(
        "gcp-scheduler-authenticated",
        "Cloud Scheduler HTTP targets authenticate as a dedicated account: an unauthenticated job endpoint is public.",
        _scheduler_authenticated,
        risk=Risk.PRIVILEGE,
    ),
    StackRule(
        name="gcp-uptime-check",
        description="Every Cloud Run service has an uptime check (practice: a dead service alerts someone).",
        level=Level.ADVISORY,
        check=_uptime_check_present,
        risk=Risk.OBSERVABILITY,
    ),
    _rule(
        "gcp-alerts-notify",
        "Alert policies have a notification channel (practice: an alert nobody receives is no alert).",
        _alerts_notify,
        Level.ADVISORY,
        Risk.OBSERVABILITY,
    ),
]
