"""target kubernetes: a DigitalOcean Kubernetes cluster (or an existing one) and what runs on it.

Chart versions are pinned in infra/render/kubernetes/charts.py (Renovate moves them); this object
only chooses sizes, the cluster source and the edge/storage options.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from infra.settings.base import ConfigModel
from infra.settings.droplets import check_size


class ClusterConfig(ConfigModel):
    """The DOKS cluster created when `create` is true."""

    create: bool = Field(
        default=True, description="Create a DigitalOcean Kubernetes cluster; false = use `kubeconfig`/`context`."
    )
    version: str = Field(
        default="1.33",
        pattern=r"^1\.\d{2}$",
        description="Kubernetes minor version (the latest DOKS patch of it is used).",
    )
    region: str = Field(
        default="nyc3", pattern=r"^[a-z]{3}[0-9]$", description="DigitalOcean region slug (cluster, database, Spaces)."
    )
    node_size: str = Field(default="s-2vcpu-4gb", pattern=r"^[a-z0-9-]+$", description="Node droplet size slug.")
    node_count: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Nodes at creation (the autoscaler moves it between minNodes and maxNodes).",
    )
    min_nodes: int = Field(default=3, ge=1, le=100, description="Autoscaler minimum nodes.")
    max_nodes: int = Field(default=5, ge=1, le=100, description="Autoscaler maximum nodes.")
    ha_control_plane: bool = Field(default=False, description="Highly available control plane (+$40/month).")
    registry_integration: bool = Field(
        default=True, description="Let nodes pull from the account's DigitalOcean Container Registry."
    )

    @field_validator("node_size")
    @classmethod
    def _known_size(cls, size: str) -> str:
        return check_size(size)  # DOKS nodes are droplets, priced from the same table

    @model_validator(mode="after")
    def _bounds(self) -> ClusterConfig:
        if not self.min_nodes <= self.node_count <= self.max_nodes:
            raise ValueError(
                f"need minNodes <= nodeCount <= maxNodes, got {self.min_nodes} <= {self.node_count} <= {self.max_nodes}"
            )
        return self


class KubernetesConfig(ConfigModel):
    """target kubernetes: cluster, autoscaling, edge, storage and Redis sizes."""

    cluster: ClusterConfig = Field(
        default_factory=ClusterConfig,
        description=(
            "DOKS cluster: {create, version, region, nodeSize, nodeCount, minNodes, maxNodes, haControlPlane, "
            "registryIntegration}."
        ),
    )
    kubeconfig: SecretStr | None = Field(
        default=None,
        description=(
            "Secret. Kubeconfig of an existing cluster (GKE, EKS, any conformant one) when cluster.create is false."
        ),
    )
    context: str = Field(default="", description="Context inside `kubeconfig` (empty = its current context).")
    namespace: str = Field(
        default="ai-service",
        pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
        description="Namespace of the service (restricted Pod Security Standard).",
    )
    hpa_min: int = Field(default=0, ge=0, le=100, description="API HorizontalPodAutoscaler minimum; 0 = apiReplicas.")
    hpa_max: int = Field(default=10, ge=1, le=200, description="API HorizontalPodAutoscaler maximum.")
    worker_hpa_max: int = Field(
        default=0, ge=0, le=200, description="Worker HPA maximum per group; 0 = no worker HPA (fixed replicas)."
    )
    api_cpu: str = Field(default="500m", pattern=r"^\d+m?$", description="API CPU limit per pod (request is half).")
    api_memory: str = Field(
        default="512Mi", pattern=r"^\d+(Mi|Gi)$", description="API memory limit per pod (request equals it)."
    )
    gateway_class: str = Field(
        default="envoy",
        pattern=r"^[a-z0-9-]+$",
        description="GatewayClass name (created for the bundled Envoy Gateway).",
    )
    install_gateway_controller: bool = Field(
        default=True, description="Install Envoy Gateway with Helm; false = the cluster already has `gatewayClass`."
    )
    install_cert_manager: bool = Field(
        default=True, description="Install cert-manager with Helm; false = the cluster already runs it."
    )
    acme_server: Literal["production", "staging"] = Field(
        default="production", description="Let's Encrypt environment of the ClusterIssuer."
    )
    storage_provider: Literal["spaces", "s3"] = Field(
        default="spaces", description="Object storage: DigitalOcean Spaces or AWS S3 (aws:region)."
    )
    redis_memory: str = Field(
        default="256Mi", pattern=r"^\d+(Mi|Gi)$", description="Redis memory limit (maxmemory is 80% of it)."
    )
    redis_storage_gi: int = Field(default=5, ge=1, le=1000, description="Redis PersistentVolumeClaim size, GiB.")
    prometheus_storage_gi: int = Field(
        default=20, ge=1, le=1000, description="Prometheus PersistentVolumeClaim size, GiB."
    )
    registry: str = Field(
        default="ai-service",
        pattern=r"^[a-z0-9-]{3,63}$",
        description=(
            "DigitalOcean Container Registry the built image is pushed to (shared with the droplet stack, which "
            "creates it)."
        ),
    )
    job_timeout_s: int = Field(
        default=600,
        ge=10,
        le=3600,
        description=(
            "Longest worker job, s; workers get this much grace on SIGTERM (an hour at most: node drains wait for it)."
        ),
    )

    @model_validator(mode="after")
    def _hpa(self) -> KubernetesConfig:
        if self.hpa_min and self.hpa_min > self.hpa_max:
            raise ValueError(f"hpaMin ({self.hpa_min}) exceeds hpaMax ({self.hpa_max})")
        return self
