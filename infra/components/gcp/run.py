"""Cloud Run v2: the API service, a worker pool per worker group, and the migration job.

Each publishes the template it deploys as `cloudrun/<name>.json` (secret-free: secrets are
Secret Manager references). Deletion protection follows `protect`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import pulumi
from pulumi_gcp import cloudrun, cloudrunv2

from infra.components import artifacts
from infra.components.gcp.common import children
from infra.components.sdk import sdk_input
from infra.render.gcp.specs import Workload, job_template, worker_pool_template


def publish(path: str, spec: dict) -> None:
    artifacts.publish(path, pulumi.Output.from_input(spec).apply(lambda s: json.dumps(s, indent=2, sort_keys=True)))


TOKEN_LENGTH = 16
JOB_NAME_LIMIT = 62 - TOKEN_LENGTH  # the provider wants job name + token under 63 characters
SERVICE_NAME_LIMIT = 49  # Cloud Run service and worker pool names (revision names add a suffix)


def execution_token(image_ref: str) -> str:
    """A Job execution suffix that changes exactly when the image does (one migration per release)."""
    return hashlib.sha256(image_ref.encode()).hexdigest()[:TOKEN_LENGTH]


class MigrationJob(pulumi.ComponentResource):
    """`ai-service migrate` as a Cloud Run Job that runs to completion during `pulumi up`.

    `run_execution_token` starts an execution on create/update and the Job becomes ready only
    when it succeeds; the API service depends on the Job, so a new revision is created only
    after its migrations applied (a failed migration fails the update and traffic stays put).
    The app serialises concurrent runs with a Postgres advisory lock.
    """

    job: cloudrunv2.Job

    def __init__(
        self,
        name: str,
        job_name: str,
        region: str,
        workload: Workload,
        protect: bool,
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ai-service:gcp:MigrationJob", name, None, opts)
        if len(job_name) > JOB_NAME_LIMIT:
            raise ValueError(f"job name {job_name!r} is longer than {JOB_NAME_LIMIT} characters")
        template = job_template(workload)
        publish(f"cloudrun/{name}.json", template)
        self.job = cloudrunv2.Job(
            name,
            name=job_name,
            location=region,
            template=sdk_input(template),
            deletion_protection=protect,
            run_execution_token=pulumi.Output.from_input(workload.image).apply(execution_token),
            opts=children(self, opts, depends_on=depends_on),
        )
        self.register_outputs({"job": self.job.name})


class ApiService(pulumi.ComponentResource):
    service: cloudrunv2.Service
    uri: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        service_name: str,
        region: str,
        template: dict,
        *,
        ingress: str,
        invokers: Sequence[pulumi.Input[str]],
        domain: str,
        project: str,
        protect: bool,
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ai-service:gcp:ApiService", name, None, opts)
        publish(f"cloudrun/{name}.json", template)
        self.service = cloudrunv2.Service(
            name,
            name=service_name,
            location=region,
            ingress=ingress,
            template=sdk_input(template),
            # Every revision is kept; traffic follows the latest ready one (pin an older one to roll back).
            traffics=[{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
            deletion_protection=protect,
            opts=children(self, opts, depends_on=depends_on),
        )
        child = children(self, opts)
        # allUsers when public (the API authenticates requests itself with API_KEYS), else only
        # the named identities (e.g. the uptime check's Monitoring service agent).
        for index, member in enumerate(invokers):
            cloudrunv2.ServiceIamMember(
                f"{name}-invoker-{index}",
                name=self.service.name,
                location=region,
                role="roles/run.invoker",
                member=member,
                opts=child,
            )
        if domain:
            # Domain mappings exist only in the v1 API; Google issues and renews the certificate.
            cloudrun.DomainMapping(
                f"{name}-domain",
                name=domain,
                location=region,
                metadata={"namespace": project},
                spec={"route_name": self.service.name},
                opts=child,
            )
        self.uri = self.service.uri
        self.register_outputs({"uri": self.uri})


class WorkerPool(pulumi.ComponentResource):
    pool: cloudrunv2.WorkerPool

    def __init__(
        self,
        name: str,
        pool_name: str,
        region: str,
        workload: Workload,
        replicas: int,
        protect: bool,
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("ai-service:gcp:WorkerPool", name, None, opts)
        template = worker_pool_template(workload)
        publish(f"cloudrun/{name}.json", template)
        self.pool = cloudrunv2.WorkerPool(
            name,
            name=pool_name,
            location=region,
            launch_stage="BETA",
            template=sdk_input(template),
            scaling={"scaling_mode": "MANUAL", "manual_instance_count": replicas},
            deletion_protection=protect,
            opts=children(self, opts, depends_on=depends_on),
        )
        self.register_outputs({"pool": self.pool.name})
