"""Settings of the AWS targets: `fargate` (ECS Fargate behind an ALB) and `lambda` (API only).

Both share the AWS building blocks (VPC, RDS, ElastiCache, S3, Secrets Manager), so the keys
those read live on a common base. The RDS instance class is the common `database.size`
(default db.t4g.micro); the provider's region is `aws:region` unless `region` overrides it.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from infra.settings.base import ConfigModel

AWS_REGION = r"^$|^[a-z]{2}(-gov)?-[a-z]+-[0-9]$"
DEFAULT_DB_INSTANCE_CLASS = "db.t4g.micro"


class AwsCommonConfig(ConfigModel):
    region: str = Field(default="", pattern=AWS_REGION, description="AWS region; empty = the provider's `aws:region`.")
    nat_gateway: bool = Field(
        default=False,
        description=(
            "Private subnets reach the internet through one NAT gateway (~$33/month + data); false = VPC endpoints "
            "only (no internet egress)."
        ),
    )
    cache_node_type: str = Field(
        default="cache.t4g.micro",
        pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$",
        description="ElastiCache (Valkey) node type.",
    )
    log_retention_days: int = Field(default=30, description="CloudWatch Logs retention in days.")

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch accepts one of {', '.join(map(str, LOG_RETENTION_DAYS))} days, got {days}")
        return days


class FargateConfig(AwsCommonConfig):
    """target fargate: ECS Fargate services behind an Application Load Balancer."""

    api_cpu: int = Field(
        default=1024, description="API task CPU units (1024 = 1 vCPU); a Fargate size: 256, 512, 1024, 2048, 4096."
    )
    api_memory: int = Field(default=2048, ge=512, le=30720, description="API task memory, MiB (must fit the CPU size).")
    private_subnets: bool = Field(
        default=False,
        description=(
            "Run tasks in private subnets (egress via natGateway or VPC endpoints); false = public subnets with a "
            "public IPv4 per task (~$3.65/month each), admitted only from the ALB."
        ),
    )
    min_tasks: int | None = Field(
        default=None, ge=1, le=50, description="Autoscaling floor of API tasks; empty = apiReplicas."
    )
    max_tasks: int = Field(default=6, ge=1, le=100, description="Autoscaling ceiling of API tasks.")
    image_keep: int = Field(default=10, ge=1, le=1000, description="ECR lifecycle: images kept (older ones expire).")
    hosted_zone_id: str = Field(
        default="",
        pattern=r"^$|^Z[A-Z0-9]{1,32}$",
        description=(
            "Route 53 hosted zone of `domain` (DNS records and ACM validation); empty = create those records yourself."
        ),
    )
    requests_per_target: int = Field(
        default=500, ge=10, le=100_000, description="Autoscaling target: ALB requests per task per minute."
    )

    @model_validator(mode="after")
    def _sizes(self) -> FargateConfig:
        allowed = FARGATE_CPU_MEMORY.get(self.api_cpu)
        if allowed is None:
            raise ValueError(
                f"apiCpu must be one of {', '.join(map(str, FARGATE_CPU_MEMORY))} CPU units, got {self.api_cpu}"
            )
        if self.api_memory not in allowed:
            raise ValueError(
                f"apiMemory {self.api_memory} MiB does not fit apiCpu {self.api_cpu}; allowed: "
                f"{allowed[0]}..{allowed[-1]} MiB in steps of 1024 (or 512 at 256)"
            )
        if self.min_tasks is not None and self.min_tasks > self.max_tasks:
            raise ValueError(f"minTasks ({self.min_tasks}) must not exceed maxTasks ({self.max_tasks})")
        return self


class LambdaConfig(AwsCommonConfig):
    """target lambda: the API as a container-image Lambda behind an API Gateway HTTP API."""

    memory: int = Field(default=1024, ge=128, le=10240, description="Lambda memory, MiB (CPU scales with it).")
    timeout: int = Field(
        default=29, ge=1, le=29, description="Lambda timeout, seconds (API Gateway HTTP APIs stop waiting at 30 s)."
    )
    reserved_concurrency: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Reserved concurrency: the most parallel invocations (caps DB connections and cost).",
    )


LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
FARGATE_CPU_MEMORY = {  # CPU units -> allowed memory MiB (AWS Fargate task sizes)
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}


def fargate_task_size(vcpu: float, memory_mib: int) -> tuple[int, int]:
    """The smallest Fargate task size (CPU units, MiB) that holds `vcpu` and `memory_mib`."""
    for cpu, memories in FARGATE_CPU_MEMORY.items():
        if cpu >= vcpu * 1024:
            fitting = [m for m in memories if m >= memory_mib]
            if fitting:
                return cpu, fitting[0]
    raise ValueError(f"no Fargate task size holds {vcpu} vCPU and {memory_mib} MiB")
