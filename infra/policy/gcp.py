"""Google Cloud rules (target cloudrun): least-privilege IAM, private data services, bucket
protections, secrets by reference, Cloud Run specifics (PORT, probes, deletion protection),
authenticated Cloud Scheduler targets."""

from __future__ import annotations

from collections.abc import Iterable

from infra.policy.rules import Level, ResourceRule, ResourceView, StackRule, _walk

PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
RUN_WORKLOADS = {
    "gcp:cloudrunv2/service:Service",
    "gcp:cloudrunv2/job:Job",
    "gcp:cloudrunv2/workerPool:WorkerPool",
}
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
BUCKET = "gcp:storage/bucket:Bucket"
REDIS = "gcp:redis/instance:Instance"
SHARED_CORE_TIERS = {"db-f1-micro", "db-g1-small"}
SCHEDULER = "gcp:cloudscheduler/job:Job"
ACCESSORY_LABEL = ("ai-service-role", "accessory")  # infra/components/gcp/accessory.py


def _is_iam(view: ResourceView) -> bool:
    return view.type.startswith("gcp:") and ("IamMember" in view.type or "IAMMember" in view.type
                                              or "IamBinding" in view.type or "IAMBinding" in view.type)


def _members(props: dict) -> set[str]:
    return {props["member"]} if isinstance(props.get("member"), str) else set(props.get("members") or [])


def _no_primitive_roles(view: ResourceView) -> Iterable[str]:
    if _is_iam(view) and view.props.get("role") in PRIMITIVE_ROLES:
        yield f"grants primitive role {view.props['role']}; grant a predefined role on the one resource instead"


def _public_only_run_invoker(view: ResourceView) -> Iterable[str]:
    if not _is_iam(view):
        return
    public = _members(view.props) & PUBLIC_MEMBERS
    allowed = view.type == "gcp:cloudrunv2/serviceIamMember:ServiceIamMember" and view.props.get("role") == "roles/run.invoker"
    if public and not allowed:
        yield f"grants {view.props.get('role')} to {', '.join(sorted(public))}; only Cloud Run run.invoker may be public"


def _templates(view: ResourceView) -> list[dict]:
    """The pod-level templates of a Cloud Run workload (jobs nest one level deeper)."""
    template = view.props.get("template") or {}
    return [template.get("template") or {}] if view.type == "gcp:cloudrunv2/job:Job" else [template]


def _dedicated_identity(view: ResourceView) -> Iterable[str]:
    if view.type not in RUN_WORKLOADS:
        return
    for template in _templates(view):
        account = template.get("serviceAccount") or ""
        if not account:
            yield "runs as the default compute service account (Editor); set a dedicated service account"
        elif str(account).endswith("-compute@developer.gserviceaccount.com"):
            yield f"runs as the default compute service account {account}; use a dedicated one"


def _run_env(view: ResourceView) -> Iterable[str]:
    if view.type not in RUN_WORKLOADS:
        return
    for node in _walk(view.props):
        if not isinstance(node, dict):
            continue
        if node.get("name") == "PORT" and ("value" in node or "valueSource" in node):
            yield "sets PORT in env; Cloud Run sets it from the container port and rejects the deployment"
        ref = node.get("secretKeyRef")
        if isinstance(ref, dict) and str(ref.get("version", "latest")) == "latest":
            yield f"secret {ref.get('secret')} is read at 'latest'; pin the version so a revision is reproducible"


def _deletion_protection_explicit(view: ResourceView) -> Iterable[str]:
    if view.type in RUN_WORKLOADS and "deletionProtection" not in view.props:
        yield "deletion_protection is not set (the provider defaults it to true); tie it to `protect`"


def _service_probes(view: ResourceView) -> Iterable[str]:
    if view.type != "gcp:cloudrunv2/service:Service":
        return
    # An accessory's health path is unknown and Cloud Run liveness probes are HTTP/gRPC only: startup (TCP) suffices.
    accessory = (view.props.get("labels") or {}).get(ACCESSORY_LABEL[0]) == ACCESSORY_LABEL[1]
    probes = ("startupProbe",) if accessory else ("startupProbe", "livenessProbe")
    for container in (view.props.get("template") or {}).get("containers") or []:
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
    backups = settings.get("backupConfiguration") or {}
    if not backups.get("enabled") or not backups.get("pointInTimeRecoveryEnabled"):
        yield "backups or point-in-time recovery are off"
    if settings.get("tier") in SHARED_CORE_TIERS and settings.get("edition") != "ENTERPRISE":
        yield f"shared-core tier {settings.get('tier')} needs edition ENTERPRISE (PG16 defaults to ENTERPRISE_PLUS)"
    if view.protect and not (view.props.get("deletionProtection") and settings.get("deletionProtectionEnabled")):
        yield "is Pulumi-protected but deletion protection is off; set both deletion_protection flags"


def _protected_bucket(view: ResourceView) -> Iterable[str]:
    if view.type != BUCKET:
        return
    if not view.props.get("uniformBucketLevelAccess"):
        yield "uses object ACLs; set uniform_bucket_level_access"
    if view.props.get("publicAccessPrevention") != "enforced":
        yield "public access prevention is not enforced"
    if not (view.props.get("versioning") or {}).get("enabled"):
        yield "versioning is off; overwritten or deleted objects cannot be restored"
    prefixes = {p for rule in view.props.get("lifecycleRules") or [] for p in (rule.get("condition") or {}).get("matchesPrefixes") or []}
    if "tmp/" not in prefixes:
        yield "no lifecycle rule expires tmp/"


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


def _uptime_check_present(views: list[ResourceView]) -> Iterable[tuple[str, str]]:
    services = [v for v in views if v.type == "gcp:cloudrunv2/service:Service"]
    if services and not any(v.type == "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig" for v in views):
        for service in services:
            yield service.name, "no Cloud Monitoring uptime check watches this service"


def _alerts_notify(view: ResourceView) -> Iterable[str]:
    if view.type == "gcp:monitoring/alertPolicy:AlertPolicy" and not view.props.get("notificationChannels"):
        yield "alerts go nowhere; set cloudrun.notificationEmail (or letsencryptEmail)"


def _rule(name: str, description: str, check, level: Level = Level.MANDATORY) -> ResourceRule:
    return ResourceRule(name=name, description=description, level=level, check=check)


GCP_RULES: list[ResourceRule | StackRule] = [
    _rule("gcp-no-primitive-roles", "No owner/editor/viewer grants.", _no_primitive_roles),
    _rule("gcp-public-only-run-invoker", "allUsers only ever gets run.invoker on a Cloud Run service.", _public_only_run_invoker),
    _rule("gcp-dedicated-service-account", "Cloud Run workloads run as a dedicated service account.", _dedicated_identity),
    _rule("gcp-run-env", "Cloud Run env: no PORT, secrets pinned to a version.", _run_env),
    _rule("gcp-run-deletion-protection", "Cloud Run deletion protection is set explicitly (follows protect).", _deletion_protection_explicit),
    _rule("gcp-run-probes", "Cloud Run services have startup probes, and liveness probes unless an accessory.", _service_probes),
    _rule("gcp-sql-private", "Cloud SQL: private IP only, TLS, backups + PITR, edition fits tier, deletion protection.", _private_sql),
    _rule("gcp-bucket-protected", "GCS: uniform access, public access prevention, versioning, tmp/ expiry.", _protected_bucket),
    _rule("gcp-redis-private", "Memorystore: AUTH, in-transit encryption, VPC only.", _private_redis),
    _rule("gcp-scheduler-authenticated", "Cloud Scheduler HTTP targets authenticate as a dedicated account.", _scheduler_authenticated),
    StackRule(name="gcp-uptime-check", description="Every Cloud Run service has an uptime check.",
              level=Level.MANDATORY, check=_uptime_check_present),
    _rule("gcp-alerts-notify", "Alert policies have a notification channel.", _alerts_notify, Level.ADVISORY),
]
