"""An accessory (a third-party container next to the service) as its own Cloud Run service.

It runs as a dedicated service account that can read only its own secrets, so a compromised
accessory cannot read the service's database or keys. Secret env comes from Secret Manager
pinned versions. Nothing here depends on the service image, so a release of the service
leaves the accessory's revision alone.

Private (the default): ingress `internal` and run.invoker only for the given members (the API
and worker accounts). A caller needs both a VPC path (see PrivateRunDns) and an ID token for the
accessory's URL. Public: ingress all and allUsers invoker (the accessory authenticates itself).
An accessory without a port is a worker pool: no URL, nothing can call it.
With `callsApi` it gets the API's URL as AI_SERVICE_API_URL; the stack makes its account an invoker
of a private API (the accessory sends an ID token for that URL, like the API does for accessories).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_gcp import cloudrunv2

from infra.components.gcp.common import children, physical_name, suffixed_name
from infra.components.gcp.identity import RoleIdentity
from infra.components.gcp.run import SERVICE_NAME_LIMIT, publish
from infra.components.gcp.secrets import StoredSecret
from infra.components.sdk import sdk_input
from infra.render.gcp.specs import Workload, accessory_template, run_size, worker_pool_template
from infra.settings.extras import API_URL_ENV

MAX_INSTANCES = 1  # third-party containers often keep in-memory sessions; one instance keeps them consistent
ROLE_LABEL = {"ai-service-role": "accessory"}  # the probe policy knows accessories have no known health path
ACCOUNT_SUFFIX_LIMIT = 20  # leaves room for `ais-<stack>-` within the 30-character account id


@dataclass(frozen=True)
class AccessoryArgs:
    name: str
    image: str
    region: str
    stack: str
    prefix: str  # the stack's resource prefix (service names, secret ids)
    port: int | None
    command: tuple[str, ...]
    cpu: float
    memory_mib: int
    public: bool
    invokers: Sequence[pulumi.Input[str]]  # members allowed to call a private accessory
    protect: bool
    env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    api_url: pulumi.Input[str] | None = None  # `callsApi`: the API's run.app URL as AI_SERVICE_API_URL


def account_suffix(name: str) -> str:
    """The accessory's part of its account id: the name, or a shortened name + hash when long."""
    if len(name) <= ACCOUNT_SUFFIX_LIMIT:
        return name
    return f"{name[: ACCOUNT_SUFFIX_LIMIT - 7].rstrip('-')}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"


class AccessoryService(pulumi.ComponentResource):
    identity: RoleIdentity
    uri: pulumi.Output[str] | None

    def __init__(self, name: str, args: AccessoryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ai-service:gcp:Accessory", name, None, opts)
        self.identity = RoleIdentity(
            f"{name}-sa",
            suffixed_name(f"ais-{args.stack}", account_suffix(args.name), 30),
            name,
            opts=children(self, opts),
        )
        stored = {
            key: StoredSecret(
                f"{name}-{key.lower().replace('_', '-')}",
                physical_name(args.prefix, "accessory", args.name, key, limit=255),
                value,
                [self.identity],
                opts=children(self, opts),
            )
            for key, value in sorted(args.secret_env.items())
        }
        cpu, memory = run_size(args.cpu, args.memory_mib)
        workload = Workload(
            args.image,
            args.command,
            cpu,
            memory,
            self.identity.email,
            None,
            None,
            {**args.env, **({API_URL_ENV: args.api_url} if args.api_url is not None else {})},
            tuple(secret.env(key) for key, secret in stored.items()),
        )
        # Its first revision reads its secrets: wait for the grants.
        after_grants = children(self, opts, depends_on=list(stored.values()))
        service_name = suffixed_name(args.prefix, args.name, SERVICE_NAME_LIMIT)
        if args.port is None:
            template = worker_pool_template(workload)
            publish(f"cloudrun/{name}.json", template)
            cloudrunv2.WorkerPool(
                name,
                name=service_name,
                location=args.region,
                launch_stage="BETA",
                template=sdk_input(template),
                scaling={"scaling_mode": "MANUAL", "manual_instance_count": MAX_INSTANCES},
                labels=ROLE_LABEL,
                deletion_protection=args.protect,
                opts=after_grants,
            )
            self.uri = None
            self.register_outputs({})
            return
        template = accessory_template(workload, port=args.port, max_instances=MAX_INSTANCES)
        publish(f"cloudrun/{name}.json", template)
        service = cloudrunv2.Service(
            name,
            name=service_name,
            location=args.region,
            ingress="INGRESS_TRAFFIC_ALL" if args.public else "INGRESS_TRAFFIC_INTERNAL_ONLY",
            template=sdk_input(template),
            labels=ROLE_LABEL,
            traffics=[{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
            deletion_protection=args.protect,
            opts=after_grants,
        )
        members = ["allUsers"] if args.public else list(args.invokers)
        for index, member in enumerate(members):
            cloudrunv2.ServiceIamMember(
                f"{name}-invoker-{index}",
                name=service.name,
                location=args.region,
                role="roles/run.invoker",
                member=member,
                opts=children(self, opts),
            )
        self.uri = service.uri
        self.register_outputs({"uri": self.uri})
